// A missing Route 53 hosted zone is a clear plan-time error (against moto):
// `plan` still renders the rest but exits 1 (also with --detailed-exitcode),
// names base_domain_name, saves no plan file; `apply` refuses and creates
// nothing. Once the zone exists the same config plans normally.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLocalVms, localVmIds, runCli } from './fixtures/plan/harness.ts';
import { FAKE_CREDENTIALS, motoForSuite, requireMoto } from './support/moto.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireMoto();
const BASE = 'zone-missing.example.test';
const ENV = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey };

const { endpoint } = motoForSuite(enabled);
let root = '';

const POOL = `kind: Pool
name: desktops
type: server
servers:
  - name: legacy1
    hostname: 10.0.0.5
    connection_type: rdp
    connection_port: 3389
autoscale:
  - name: day
    vm_provider: local
    dns_provider: r53
    register_dns: true
    base_domain_name: ${BASE}
    connection_type: rdp
    connection_port: 3389
    minimum_available_sessions: 1
    max_simultaneous_sessions_per_server: 1
    require_checkin: false
`;

beforeAll(async () => {
  if (!enabled) return;
  root = mkdtempSync(join(tmpdir(), 'poolform-zone-'));
  writeFileSync(join(root, 'pool.yaml'), POOL);
  writeFileSync(
    join(root, 'providers.yaml'),
    `kind: VmProvider
name: local
type: local
max_instances: 2
startup_script: |
  true
---
kind: DnsProvider
name: r53
type: route53
endpoint: ${endpoint()}
access_key_id: \${env:AWS_ACCESS_KEY_ID}
secret_access_key: \${env:AWS_SECRET_ACCESS_KEY}
`,
  );
});

afterAll(async () => {
  if (root) await killLocalVms(join(root, '.state'));
  if (root) rmSync(root, { recursive: true, force: true });
});

const state = (): string => join(root, '.state');

describe.skipIf(!enabled)('a missing hosted zone', () => {
  it('is a plan-time error: the plan renders, exit 1 (even with --detailed-exitcode), no plan saved, apply refuses', {
    timeout: testTimeout(60_000),
  }, async () => {
    const plan = await runCli(['plan', root, '--state', state()], { env: ENV });
    expect(plan.code).toBe(1);
    // The rest renders (the fixed server); the autoscaled VM waits for its zone.
    expect(plan.stdout).toContain('+ server.desktops.legacy1');
    expect(plan.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(plan.stdout).toMatch(new RegExp(`Error \\[dns-zone-missing\\]: .*base_domain_name ${BASE.replace(/\./g, '\\.')}`));
    expect(plan.stdout).not.toMatch(/Warnings[\s\S]*hosted zone/);
    expect(plan.stderr).toMatch(/poolform plan: error \[plan-errors\]: the plan has 1 error/);

    const detailed = await runCli(['plan', root, '--state', state(), '--detailed-exitcode', '-out', join(root, 'p.plan')], { env: ENV });
    expect(detailed.code).toBe(1);
    expect(existsSync(join(root, 'p.plan'))).toBe(false);

    const json = await runCli(['plan', root, '--state', state(), '--json'], { env: ENV });
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { fatal_errors: string[]; resource_changes: unknown[] };
    expect(parsed.fatal_errors).toEqual([expect.stringContaining(`base_domain_name ${BASE}`)]);
    expect(parsed.resource_changes.length).toBeGreaterThan(0);

    const apply = await runCli(['apply', root, '--state', state(), '--auto-approve'], { env: ENV });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('Nothing was applied.');
    expect(localVmIds(state())).toEqual([]);

    // With the zone created, the same config plans changes (exit 2).
    const r53 = new Route53Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
    await r53.send(new CreateHostedZoneCommand({ Name: BASE, CallerReference: 'zone-test' }));
    const fixed = await runCli(['plan', root, '--state', state(), '--detailed-exitcode'], { env: ENV });
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(2);
    expect(fixed.stdout).toContain('+ vm.desktops.day.');
    expect(fixed.stdout).toContain(`+ dns.`);
  });
});
