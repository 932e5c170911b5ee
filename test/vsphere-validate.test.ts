// `poolform validate` for vSphere providers: the worked example of
// docs/providers/vsphere.md is valid (with a real CA certificate file), and
// the vSphere rules: placement (exactly one of resource_pool / cluster), the
// 524,288-byte CloudinitPrep limit after worst-case rendering, VM names that
// could exceed 80 characters, insecure_skip_verify warned, schema shapes.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/model.ts';
import { USERDATA_MAX_BYTES } from '../src/providers/vsphere/user-data.ts';
import { VSPHERE_USER_DATA_LIMIT } from '../src/template/worst-case.ts';
import { testCa } from './fakes/shared/ca.ts';
import { docExample as sharedDocExample, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/vsphere.md', import.meta.url);

function example(): string {
  return sharedDocExample(DOC, 'test/vsphere-validate.test.ts');
}

function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  return validateYaml('poolform-vsphere-validate-', yaml, files);
}

const CA = (): Record<string, string> => ({ 'vcenter-ca.pem': testCa().caCert });
const codes = (diagnostics: Diagnostic[], severity: 'error' | 'warning' = 'error'): string[] =>
  diagnostics.filter((d) => d.severity === severity).map((d) => d.code);

const pool = (name: string, autoscale: string): string => `---
kind: Pool
name: ${name}
type: server
autoscale:
  - name: ${autoscale}
    vm_provider: onprem-vc
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: 1
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
`;

describe('validate: vSphere providers', () => {
  it('the worked example in docs/providers/vsphere.md is valid; without the CA file ca_cert is reported', async () => {
    expect(codes(await validate(example(), CA()))).toEqual([]);
    expect(codes(await validate(example()))).toEqual(['certificate-invalid']);
  });

  it('vsphere-placement: exactly one of resource_pool and cluster', async () => {
    expect(codes(await validate(example().replace('cluster: Cluster-VDI', 'resource_pool: VDI'), CA()))).toEqual([]);
    expect(codes(await validate(example().replace(/cluster: .*\n/, ''), CA()))).toEqual(['vsphere-placement']);
    expect(codes(await validate(`${example()}resource_pool: VDI\n`, CA()))).toEqual(['vsphere-placement']);
  });

  it('user-data-too-large: 524,288 bytes of CloudinitPrep userdata after worst-case rendering', async () => {
    expect(VSPHERE_USER_DATA_LIMIT).toBe(USERDATA_MAX_BYTES);
    const withScript = (n: number): string => example().replace(/startup_script: \|\n( {2}.*\n)+/, `startup_script: "${'x'.repeat(n)}"\n`);
    expect(codes(await validate(withScript(USERDATA_MAX_BYTES), CA()))).toEqual([]);
    const over = await validate(withScript(USERDATA_MAX_BYTES + 1), CA());
    expect(codes(over)).toEqual(['user-data-too-large']);
    expect(over.find((d) => d.code === 'user-data-too-large')?.message).toContain('CloudinitPrep');
  });

  it('vsphere-name-too-long: pool + autoscale names that leave VM names above 80 characters', async () => {
    expect(codes(await validate(example() + pool('agents', 'fleet'), CA()))).toEqual([]);
    const long = await validate(example() + pool('a'.repeat(30), 'b'.repeat(20)), CA());
    expect(codes(long)).toEqual(['vsphere-name-too-long']);
  });

  it('insecure_skip_verify is a tls-insecure warning; schema shapes are checked', async () => {
    const insecure = await validate(example().replace(/ca_cert: .*\n/, 'insecure_skip_verify: true\n'));
    expect(codes(insecure)).toEqual([]);
    expect(codes(insecure, 'warning')).toContain('tls-insecure');
    expect(codes(await validate(example().replace('https://vcenter.corp.example.com', 'https://vcenter.corp.example.com/sdk'), CA()))).toContain('schema');
    expect(codes(await validate(example().replace('${env:VSPHERE_PASSWORD}', 'hunter2'), CA()))).toContain('plaintext-secret');
    expect(codes(await validate(example().replace('num_cpus: 4', 'num_cpus: 0'), CA()))).toContain('schema');
    // vCenter's VM list answers at most 4,000 VMs (one call per observe).
    expect(codes(await validate(example().replace('max_instances: 40', 'max_instances: 4001'), CA()))).toContain('schema');
  });
});
