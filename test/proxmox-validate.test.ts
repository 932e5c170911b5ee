// `poolform validate` for Proxmox VE providers: the worked example of
// docs/providers/proxmox.md is valid (with a real CA certificate file).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import type { Diagnostic } from '../src/config/model.ts';
import { testCa } from './fakes/shared/ca.ts';

const DOC = new URL('../docs/providers/proxmox.md', import.meta.url);

function docExample(): string {
  const text = readFileSync(DOC, 'utf8');
  const marker = text.indexOf('validated by test/proxmox-validate.test.ts');
  if (marker < 0) throw new Error('worked example not found');
  return /```yaml\n([\s\S]*?)```/.exec(text.slice(marker))?.[1] ?? '';
}

async function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-proxmox-validate-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), yaml);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return (await loadConfig(dir)).diagnostics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const errors = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error');

describe('validate: Proxmox VE providers', () => {
  it('the worked example in docs/providers/proxmox.md is valid', async () => {
    const example = docExample();
    expect(example).toContain('type: proxmox');
    expect(errors(await validate(example, { 'pve-root-ca.pem': testCa().caCert }))).toEqual([]);
    // Without the CA file: certificate-invalid at ca_cert.
    expect(errors(await validate(example)).map((d) => d.code)).toEqual(['certificate-invalid']);
  });
});
