// Scenario: a provider outage in the middle of an apply (EC2 and Route 53
// against moto, faults injected through SDK middleware, outside the SDK's own
// retries): Route 53 answers every change with 503 for a whole round, and one
// RunInstances reaches AWS but its response is lost (500 after the launch).
// The round records what succeeded, reports the failures clearly, and the next
// round converges with no duplicate instance, no orphaned record, no intent
// left. While EC2 cannot even be listed, plan says so and changes nothing.
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { createEc2Client } from '../src/providers/aws-ec2/index.ts';
import { createRoute53Client } from '../src/providers/route53/index.ts';
import { awsError, countCalls, FAKE_CREDENTIALS, injectFaults, motoForSuite, requireMoto } from './support/moto.ts';
import { awsFleetForSuite, FAST_AWS_RETRY, fleetReconcile } from './support/aws-fleet.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireMoto();
const { endpoint } = motoForSuite(enabled);
const fleet = awsFleetForSuite(enabled, endpoint, { name: 'outage', minimumAvailableSessions: 4 });
const { base: BASE, liveInstances, aRecords } = fleet;
const FAST_RETRY = FAST_AWS_RETRY;

describe.skipIf(!enabled)('reconcile through an AWS outage', () => {
  it('partial success is recorded, failures are clear, the next round converges without duplicates', { timeout: testTimeout(120_000) }, async () => {
    const loaded = await loadConfig(fleet.root);
    const config: Config | undefined = loaded.config;
    if (!config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);

    let outage = true;
    let lostResponses = 0;
    let describeDown = false;
    const ec2Client = createEc2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: FAST_RETRY });
    const r53Client = createRoute53Client({ endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: FAST_RETRY });
    const ec2Calls = countCalls(ec2Client);
    // The lost response: the launch happens at AWS, the caller sees a 500.
    ec2Client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (outage && context.commandName === 'RunInstancesCommand' && lostResponses === 0) {
          lostResponses++;
          throw awsError('InternalError', 'An internal error has occurred', 500);
        }
        return result;
      },
      { step: 'initialize', priority: 'low', name: 'lostResponse' },
    );
    injectFaults(
      ec2Client,
      (command) => (describeDown && command === 'DescribeInstances' ? awsError('Unavailable', 'The service is unavailable', 503) : undefined),
      { outsideRetries: true },
    );
    injectFaults(
      r53Client,
      (command) => (outage && command === 'ChangeResourceRecordSets' ? awsError('ServiceUnavailable', 'Route 53 is unavailable', 503) : undefined),
      { outsideRetries: true },
    );

    const world = await fleetReconcile(fleet, config, { ec2: ec2Client, r53: r53Client }, { seed: 11, intentPrefix: 'intent-outage' });
    const { store, deps: common } = world;
    try {
      const first = await reconcileOnce(common);
      expect(lostResponses).toBe(1);
      const failures = first.applied.failures;
      // Every DNS record failed (or was skipped with its VM); each failure says what and why.
      expect(failures.length).toBeGreaterThanOrEqual(4);
      for (const f of failures) expect(f.message ?? '').toMatch(/^(DnsProvider r53|VmProvider aws|.*skipped)/);
      expect(failures.map((f) => f.message ?? '').join('\n')).toMatch(/unavailable/i);
      // What AWS has is what state records (or an intent still accounts for): nothing unaccounted.
      const snap1 = await store.snapshot();
      const recordedVms = snap1.resources.filter((r) => r.type === 'vm' && r.status === 'created');
      const tracked = new Set([...recordedVms.map((r) => r.address), ...snap1.intents.map((i) => i.address)]);
      const live1 = await liveInstances();
      expect(live1.length).toBeLessThanOrEqual(4);
      for (const i of live1) {
        const id = i.Tags?.find((t) => t.Key === 'poolform:server-id')?.Value;
        expect(
          [...tracked].some((a) => a.endsWith(`.${id}`)),
          `instance of ${id} tracked`,
        ).toBe(true);
      }
      expect(await aRecords()).toEqual([]);

      // The outage is over. The next round (and, if an intent waits out its grace, one more
      // later) creates only what is missing.
      outage = false;
      world.shiftClock(2 * 60_000);
      await reconcileOnce(common);
      world.shiftClock(12 * 60_000);
      const settle = await reconcileOnce(common);
      expect(settle.applied.failures).toEqual([]);
      const instances = await liveInstances();
      expect(instances).toHaveLength(4);
      const serverIds = instances.map((i) => i.Tags?.find((t) => t.Key === 'poolform:server-id')?.Value);
      expect(new Set(serverIds).size).toBe(4);
      const names = await aRecords();
      expect(names.sort()).toEqual(instances.map((i) => `${i.Tags?.find((t) => t.Key === 'Name')?.Value}.${BASE}.`).sort());
      const snap = await store.snapshot();
      expect(snap.intents).toEqual([]);
      expect(snap.resources.filter((r) => r.type === 'vm')).toHaveLength(4);
      expect(snap.resources.filter((r) => r.type === 'dns_record')).toHaveLength(4);
      expect((await planOnce(common)).plan.changes).toEqual([]);

      // EC2 cannot be listed: plan says which provider and why, and proposes nothing.
      describeDown = true;
      ec2Calls.reset();
      const blind = await planOnce(common).then(
        (r) => ({ errors: r.plan.errors, changes: r.plan.changes.length }),
        (e: unknown) => ({ errors: [String(e)], changes: 0 }),
      );
      expect(blind.changes).toBe(0);
      expect(blind.errors.join('\n')).toMatch(/aws/);
      expect(blind.errors.join('\n')).toMatch(/unavailable/i);
      expect(ec2Calls.count('RunInstances')).toBe(0);
    } finally {
      await store.close();
    }
  });
});
