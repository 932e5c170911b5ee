// `poolform validate` for Nutanix providers: the worked example of
// docs/providers/nutanix.md is valid (with a real CA certificate file); and
// the registry builds the provider from it with username, password and
// ca_cert resolved from their references and the warn sink passed on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import type { Diagnostic } from '../src/config/model.ts';
import type { NutanixVmProviderOptions } from '../src/providers/nutanix/index.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import type { VmProviderClient } from '../src/providers/types.ts';
import { testCa } from './fakes/shared/ca.ts';
import { docYamlBlocks, errors, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/nutanix.md', import.meta.url);

function docExample(): string {
  return docYamlBlocks(DOC, 'test/nutanix-validate.test.ts')[0] ?? '';
}

function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  return validateYaml('poolform-nutanix-validate-', yaml, files);
}

describe('validate: Nutanix providers', () => {
  it('the worked example in docs/providers/nutanix.md is valid', async () => {
    const example = docExample();
    expect(example).toContain('type: nutanix');
    expect(errors(await validate(example, { 'prism-ca.pem': testCa().caCert }))).toEqual([]);
    // Without the CA file: certificate-invalid at ca_cert.
    expect(errors(await validate(example)).map((d) => d.code)).toEqual(['certificate-invalid']);
  });
});

describe('registry: Nutanix providers', () => {
  it('resolves username and password (${env:}) and ca_cert (${file:}) and passes the warn sink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-nutanix-registry-'));
    try {
      const ca = testCa().caCert;
      writeFileSync(join(dir, 'config.yaml'), docExample());
      writeFileSync(join(dir, 'prism-ca.pem'), ca);
      const loaded = await loadConfig(dir);
      if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
      const seen: NutanixVmProviderOptions[] = [];
      const warn = (): void => undefined;
      const registry = createProviderRegistry({
        config: loaded.config,
        stateDir: dir,
        env: { NUTANIX_USERNAME: 'svc-poolform', NUTANIX_PASSWORD: 'pw-1' },
        warn,
        factories: {
          nutanixVm: (o) => {
            seen.push(o);
            return { kind: 'nutanix', name: o.config.name } as unknown as VmProviderClient;
          },
        },
      });
      expect(registry.vm('lab-ahv').kind).toBe('nutanix');
      expect(seen[0]?.secrets).toEqual({ username: 'svc-poolform', password: 'pw-1', caCert: ca });
      expect(seen[0]?.warn).toBe(warn);
      // A missing variable names the provider and the field, never a value.
      const bare = createProviderRegistry({ config: loaded.config, stateDir: dir, env: { NUTANIX_USERNAME: 'svc-poolform' } });
      expect(() => bare.vm('lab-ahv')).toThrow(/VmProvider lab-ahv: password/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
