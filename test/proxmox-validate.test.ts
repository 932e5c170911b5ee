// `poolform validate` for Proxmox VE providers: the worked example of
// docs/providers/proxmox.md is valid (with a real CA certificate file); and
// the registry builds the provider from it with token_secret and ca_cert
// resolved from their references and the warn sink passed on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import type { ProxmoxVmProviderOptions } from '../src/providers/proxmox/index.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import type { VmProviderClient } from '../src/providers/types.ts';
import type { Diagnostic } from '../src/config/model.ts';
import { testCa } from './fakes/shared/ca.ts';
import { docYamlBlocks, errors, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/proxmox.md', import.meta.url);

function docExample(): string {
  return docYamlBlocks(DOC, 'test/proxmox-validate.test.ts')[0] ?? '';
}

function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  return validateYaml('poolform-proxmox-validate-', yaml, files);
}

describe('validate: Proxmox VE providers', () => {
  it('the worked example in docs/providers/proxmox.md is valid', async () => {
    const example = docExample();
    expect(example).toContain('type: proxmox');
    expect(errors(await validate(example, { 'pve-root-ca.pem': testCa().caCert }))).toEqual([]);
    // Without the CA file: certificate-invalid at ca_cert.
    expect(errors(await validate(example)).map((d) => d.code)).toEqual(['certificate-invalid']);
  });
});

describe('registry: Proxmox VE providers', () => {
  it('resolves token_secret (${env:}) and ca_cert (${file:}) and passes the warn sink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-proxmox-registry-'));
    try {
      const ca = testCa().caCert;
      writeFileSync(join(dir, 'config.yaml'), docExample());
      writeFileSync(join(dir, 'pve-root-ca.pem'), ca);
      const loaded = await loadConfig(dir);
      if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
      const seen: ProxmoxVmProviderOptions[] = [];
      const warn = (): void => undefined;
      const registry = createProviderRegistry({
        config: loaded.config,
        stateDir: dir,
        env: { PVE_TOKEN_SECRET: 'tok-secret-1' },
        warn,
        factories: {
          proxmoxVm: (o) => {
            seen.push(o);
            return { kind: 'proxmox', name: o.config.name } as unknown as VmProviderClient;
          },
        },
      });
      expect(registry.vm('lab-pve').kind).toBe('proxmox');
      expect(seen[0]?.secrets).toEqual({ tokenSecret: 'tok-secret-1', caCert: ca });
      expect(seen[0]?.warn).toBe(warn);
      // A missing variable names the provider and the field, never a value.
      const bare = createProviderRegistry({ config: loaded.config, stateDir: dir, env: {} });
      expect(() => bare.vm('lab-pve')).toThrow(/VmProvider lab-pve: token_secret/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
