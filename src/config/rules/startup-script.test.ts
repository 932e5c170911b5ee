import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codes, loadStrings, MINIMAL, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';
import { worstCaseRenderedBytes } from './startup-script.ts';
import { propertyRuns } from '../../testing/property-runs.ts';
import { testTimeout } from '../../testing/timeouts.ts';

const provider = (script: string, type: 'local' | 'aws' = 'local') =>
  type === 'local'
    ? `kind: VmProvider\nname: local\ntype: local\nmax_instances: 5\nstartup_script: ${script}`
    : `kind: VmProvider\nname: local\ntype: aws\nmax_instances: 5\naws_region: us-east-1\naws_ec2_ami_id: ami-123\naws_ec2_instance_type: t3.small\nstartup_script: ${script}`;

describe('unknown-template-variable', () => {
  it('accepts known variables and escaped braces', async () => {
    const script =
      '|\n  #!/bin/sh\n  echo {server_id} {server_hostname} ${{HOME}}\n  curl -d \'{{"status": "running"}}\' "http://{upstream_auth_address}/api/set_server_status?token={checkin_jwt}"\n';
    expect(codes(await loadStrings({ 'a.yaml': `${provider(script)}---\n${serverPool()}` }))).toEqual([]);
  });

  it('points at the variable inside a | block scalar', async () => {
    const script = '|\n  #!/bin/sh\n  echo {server_id}\n    indented {server_hostnme} here\n  done\n';
    const r = await loadStrings({ 'a.yaml': `${provider(script)}---\n${serverPool()}` });
    // line 5 is "startup_script: |", the body starts on line 6.
    expect(only(r, 'unknown-template-variable')).toMatchObject([{ line: 8, column: 14, path: '/startup_script' }]);
    expect(only(r, 'unknown-template-variable')[0]?.message).toContain('did you mean {server_hostname}');
  });

  it('points at the variable in plain, quoted and folded scalars, and counts repeated tokens', async () => {
    const quoted = await loadStrings({ 'a.yaml': `${provider('"echo {{x}} {x} {x}"')}\n---\n${serverPool()}` });
    expect(only(quoted, 'unknown-template-variable').map((d) => [d.line, d.column])).toEqual([
      [5, 29],
      [5, 33],
    ]);
    const folded = await loadStrings({ 'a.yaml': `${provider('>-\n  first line\n  second {nope}\n')}---\n${serverPool()}` });
    expect(only(folded, 'unknown-template-variable').map((d) => [d.line, d.column])).toEqual([[7, 10]]);
  });

  it(
    'finds the exact line and column of any unknown variable in a block scalar (property)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.stringMatching(/^([a-z.;$-][a-z =.;$-]{0,29})?$/), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          fc.nat(),
          fc.integer({ min: 1, max: 6 }),
          async (generated, li, colSeed, indent) => {
            const lines = [...generated];
            const row = li % lines.length;
            const text = lines[row] ?? '';
            const col = colSeed % (text.length + 1);
            lines[row] = `${text.slice(0, col)}{bogus_var}${text.slice(col)}`;
            const pad = ' '.repeat(indent);
            const script = `|\n${lines.map((l) => `${pad}${l}`).join('\n')}\n`;
            const r = await loadStrings({ 'a.yaml': `${provider(script)}---\n${serverPool()}` });
            const d = only(r, 'unknown-template-variable');
            expect(d).toHaveLength(1);
            expect([d[0]?.line, d[0]?.column]).toEqual([6 + row, indent + col + 1]);
          },
        ),
        { numRuns: propertyRuns(25) },
      );
    },
    testTimeout(30_000),
  );
});

describe('template-stray-brace', () => {
  it('warns about a single brace (still valid)', async () => {
    const r = await loadStrings({ 'a.yaml': `${provider('"if true; then { echo hi; }; fi"')}\n---\n${serverPool()}` });
    expect(codes(r, 'warning')).toContain('template-stray-brace');
    expect(r.config).toBeDefined();
  });
});

describe('user-data-too-large', () => {
  it('measures the script rendered with worst-case values', () => {
    expect(worstCaseRenderedBytes('{checkin_jwt}')).toBeGreaterThanOrEqual(600);
    expect(worstCaseRenderedBytes('{server_external_fqdn}')).toBe(253);
    expect(worstCaseRenderedBytes('{{x}}')).toBe(3);
  });

  it('accepts a script that fits 16,384 bytes after rendering', async () => {
    const body = `"${'x'.repeat(15_000)}{checkin_jwt}"`;
    expect(codes(await loadStrings({ 'a.yaml': `${provider(body, 'aws')}\n---\n${serverPool()}` }))).toEqual([]);
  });

  it('rejects an aws script that fits raw but not rendered', async () => {
    const body = `"${'x'.repeat(15_900)}{checkin_jwt}"`;
    const r = await loadStrings({ 'a.yaml': `${provider(body, 'aws')}\n---\n${serverPool()}` });
    expect(only(r, 'user-data-too-large')).toMatchObject([{ path: '/startup_script', line: 8, column: 17 }]);
  });

  it("counts {nginx_cert} / {nginx_key} with the docker autoscale config's own PEMs (an env key as a 4096-bit key)", async () => {
    const body = `"${'x'.repeat(13_500)}{nginx_cert}{nginx_key}"`;
    const agents = (cert: string) =>
      `kind: Pool\nname: agents\ntype: docker_agent\nautoscale:\n  - name: a\n    vm_provider: local\n    nginx_cert: \${file:cert.pem}\n    nginx_key: \${env:NGINX_KEY}\n${cert}`;
    const pem = (n: number) => `-----BEGIN CERTIFICATE-----\n${'MIIB'.repeat(n)}\n-----END CERTIFICATE-----\n`;
    // Without a docker config using them the variables render empty: fits.
    expect(codes(await loadStrings({ 'a.yaml': `${provider(body, 'aws')}\n---\n${serverPool()}` }))).toEqual([]);
    const r = await loadStrings({ 'a.yaml': `${provider(body, 'aws')}\n---\n${agents('')}`, 'cert.pem': pem(10) });
    // 13,500 + a 3,300-character key assumed for ${env:...} + the certificate: over 16,384.
    expect(only(r, 'user-data-too-large')).toHaveLength(1);
  });

  it('does not apply to the local provider', async () => {
    const body = `"${'x'.repeat(20_000)}"`;
    expect(codes(await loadStrings({ 'a.yaml': `${provider(body)}\n---\n${serverPool()}` }))).toEqual([]);
  });

  it('leaves the minimal config alone', async () => {
    expect(codes(await loadStrings({ 'a.yaml': MINIMAL }))).toEqual([]);
  });
});
