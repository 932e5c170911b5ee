// AWS failure modes during a real reconcile (plan + apply on the SQLite state
// store, EC2 and Route 53 against moto), injected through SDK middleware:
// throttling is retried and the round completes; a capacity error fails only
// its own VM (and the record that depends on it) with a clear message; the
// state stays consistent and the next round creates what is missing, with no
// duplicate instance and no orphaned record. The refused launch backs the
// autoscaler off for a minute (not the 10-minute intent grace). Steady state costs one listing
// per provider; removing the pool one TerminateInstances and one change request.
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { createEc2Client } from '../src/providers/aws-ec2/index.ts';
import { createRoute53Client } from '../src/providers/route53/index.ts';
import { awsError, countAttempts, countCalls, FAKE_CREDENTIALS, injectFaults, motoForSuite, requireMoto } from './support/moto.ts';
import { awsFleetForSuite, FAST_AWS_RETRY, fleetReconcile } from './support/aws-fleet.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireMoto();
const { endpoint } = motoForSuite(enabled);
const fleet = awsFleetForSuite(enabled, endpoint, { name: 'faults', minimumAvailableSessions: 4 });
const { base: BASE, liveInstances, aRecords } = fleet;
const FAST_RETRY = FAST_AWS_RETRY;

describe.skipIf(!enabled)('reconcile with AWS faults injected', () => {
  it('throttling is retried, a capacity error fails only its VM, and the next round completes consistently', { timeout: testTimeout(120_000) }, async () => {
    const loaded = await loadConfig(fleet.root);
    const config: Config | undefined = loaded.config;
    if (!config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);

    let faultsOn = true;
    let unlucky: unknown;
    let throttles = 0;
    const ec2Client = createEc2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: FAST_RETRY });
    const r53Client = createRoute53Client({ endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: FAST_RETRY });
    const ec2Attempts = countAttempts(ec2Client);
    const ec2Calls = countCalls(ec2Client);
    const r53Calls = countCalls(r53Client);
    injectFaults(ec2Client, (command, input) => {
      if (!faultsOn) return undefined;
      if ((command === 'RunInstances' || command === 'DescribeInstances') && throttles < 5) {
        throttles++;
        return awsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
      }
      if (command === 'RunInstances') {
        unlucky ??= input['ClientToken'];
        if (input['ClientToken'] === unlucky) return awsError('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.medium capacity.', 500);
      }
      return undefined;
    });
    injectFaults(r53Client, (command) =>
      faultsOn && command === 'ChangeResourceRecordSets' && throttles++ < 7 ? awsError('Throttling', 'Rate exceeded', 400) : undefined,
    );

    const world = await fleetReconcile(fleet, config, { ec2: ec2Client, r53: r53Client }, { seed: 7, intentPrefix: 'intent-faults' });
    const { store, deps: common } = world;
    try {
      const first = await reconcileOnce(common);
      expect(throttles).toBeGreaterThanOrEqual(7);
      // Each of the 5 EC2 throttles cost one extra attempt, no extra call.
      expect(ec2Attempts.total() - ec2Calls.total()).toBe(5);
      const failed = first.applied.failures;
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ code: 'aws-insufficient-capacity' });
      expect(failed[0]?.message).toContain('aws_ec2_instance_type t3.medium');
      expect(first.applied.summary.added).toBeGreaterThanOrEqual(6); // 3 VMs + 3 records
      expect(await liveInstances()).toHaveLength(3);
      expect(await aRecords()).toHaveLength(3);

      // AWS made nothing for the refused launch: its intent and server record are gone at once
      // (nothing to wait for), and the refusal feeds the autoscaler's create backoff.
      const afterFirst = await store.snapshot();
      expect(afterFirst.intents).toEqual([]);
      expect(afterFirst.servers).toHaveLength(3);
      expect(afterFirst.history['agents/fleet']).toMatchObject({
        create_errors: 1,
        last_create_error: 'InsufficientInstanceCapacity (aws-insufficient-capacity)',
      });

      // Half a minute later, still inside the backoff: creates are held, with the reason.
      world.shiftClock(30_000);
      faultsOn = false;
      const held = await planOnce(common);
      expect(held.plan.changes).toEqual([]);
      const hold = held.plan.decisions.find((d) => d.action === 'hold');
      expect(hold?.cause).toBe('backoff');
      expect(hold?.reason).toMatch(/^backoff: last create failed with InsufficientInstanceCapacity \(aws-insufficient-capacity\).*retrying after /);

      // Past the backoff (1 minute after the first refusal), AWS has capacity again:
      // the next round creates only what is missing.
      world.shiftClock(2 * 60_000);
      r53Calls.reset();
      const second = await reconcileOnce(common);
      expect(second.applied.failures).toEqual([]);
      expect((await store.getHistory())['agents/fleet']?.create_errors).toBe(0);
      // One walk of the zone serves the whole reconcile (observe, then the new record).
      expect(r53Calls.count('ListResourceRecordSets')).toBe(1);
      expect(r53Calls.count('ChangeResourceRecordSets')).toBe(1);
      const instances = await liveInstances();
      expect(instances).toHaveLength(4);
      expect(new Set(instances.map((i) => i.Tags?.find((t) => t.Key === 'poolform:server-id')?.Value)).size).toBe(4);
      const names = await aRecords();
      expect(names.sort()).toEqual(instances.map((i) => `${i.Tags?.find((t) => t.Key === 'Name')?.Value}.${BASE}.`).sort());

      // Steady state: one bulk listing per provider, nothing else.
      ec2Calls.reset();
      r53Calls.reset();
      const third = await reconcileOnce(common);
      expect(third.plan.changes).toEqual([]);
      expect(ec2Calls.all()).toEqual({ DescribeInstances: 1 });
      expect(r53Calls.all()).toEqual({ ListResourceRecordSets: 1 });

      // The pool removed: its 4 records go in one change request, its 4 instances in one TerminateInstances.
      ec2Calls.reset();
      r53Calls.reset();
      const removed = await reconcileOnce({ ...common, config: { ...config, pools: [] } });
      expect(removed.applied.failures).toEqual([]);
      expect(removed.applied.summary.destroyed).toBe(8);
      expect(ec2Calls.all()).toEqual({ DescribeInstances: 1, TerminateInstances: 1 });
      expect(r53Calls.all()).toEqual({ ListResourceRecordSets: 1, ChangeResourceRecordSets: 1 });
      expect(await liveInstances()).toEqual([]);
      expect(await aRecords()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
