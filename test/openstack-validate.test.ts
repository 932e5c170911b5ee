// `poolform validate` for OpenStack providers: the worked example of
// docs/providers/openstack.md is valid (with a real CA certificate file), and
// the application-credential variant too.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import type { Diagnostic } from '../src/config/model.ts';
import { testCa } from './fakes/shared/ca.ts';

const DOC = new URL('../docs/providers/openstack.md', import.meta.url);

/** The YAML blocks after the "validated by test/openstack-validate.test.ts" marker: the example and the app-credential variant. */
function docBlocks(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const marker = text.indexOf('validated by test/openstack-validate.test.ts');
  if (marker < 0) throw new Error('worked example not found');
  return [...text.slice(marker).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

async function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-openstack-validate-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), yaml);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return (await loadConfig(dir)).diagnostics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const errors = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error');

describe('validate: OpenStack providers', () => {
  it('the worked example in docs/providers/openstack.md is valid', async () => {
    const [example] = docBlocks();
    expect(errors(await validate(example ?? '', { 'company-ca.pem': testCa().caCert }))).toEqual([]);
    // Without the CA file: certificate-invalid at ca_cert.
    expect(errors(await validate(example ?? '')).map((d) => d.code)).toEqual(['certificate-invalid']);
  });

  it('the application-credential variant is valid', async () => {
    const [example, variant] = docBlocks();
    const swapped = (example ?? '')
      .replace(/auth_type: password\nusername: .*\npassword: .*\nuser_domain_name: .*\nproject_name: .*\nproject_domain_name: .*\n/, variant ?? '')
      .replace(/ca_cert: .*\n/, '');
    expect(swapped).toContain('application_credential_secret');
    expect(errors(await validate(swapped))).toEqual([]);
  });
});
