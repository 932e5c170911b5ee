// `poolform validate` for OpenStack providers: the worked example of
// docs/providers/openstack.md is valid (with a real CA certificate file), and
// the application-credential variant too.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/model.ts';
import { testCa } from './fakes/shared/ca.ts';
import { docYamlBlocks, errors, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/openstack.md', import.meta.url);

/** The YAML blocks after the "validated by test/openstack-validate.test.ts" marker: the example and the app-credential variant. */
function docBlocks(): string[] {
  return docYamlBlocks(DOC, 'test/openstack-validate.test.ts');
}

function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  return validateYaml('poolform-openstack-validate-', yaml, files);
}

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
