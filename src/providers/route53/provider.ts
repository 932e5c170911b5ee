// The Route 53 DNS provider. Contracts (see providers/types.ts) and how they are met:
// - observe(baseDomain): one ListResourceRecordSets walk (paginated) of the
//   zone; only A records with poolform's TXT ownership marker are reported.
// - upsert/delete: changes from all calls that arrive close together (until
//   `batchWindowMs` passes without a new one, at most `batchMaxWaitMs`, or
//   while a previous request for the zone is in flight) go out together in as few ChangeResourceRecordSets requests as Route 53's
//   limits allow (1,000 changes and 1,000 records; 32,000 value chars).
//   Each record and its marker change in one atomic request.
// - Decisions use the last walk of the zone (observe's walk, kept current with
//   poolform's own changes; at most `snapshotMaxAgeMs` old), so a reconcile
//   reads each zone once. That is safe because every change is conditional
//   (records.ts: CREATE, DELETE of the exact set seen): when Route 53 rejects
//   a batch (the zone changed behind our back), the zone is walked again, the
//   batch re-planned and, if it still fails, split until the bad record is
//   isolated; only that record reports an error.
// - A record already gone (or never ours) deletes as success without a call.
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { Route53DnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { awsErrorCode, genericAwsError, sdkErrorShape } from '../aws-ec2/errors.ts';
import { type BackoffOptions, withThrottleRetry } from '../aws-ec2/retry.ts';
import type { DnsProviderClient, DnsRecord, ItemResult } from '../types.ts';
import { applyChanges, indexRecordSets, type ItemPlan, normalizeName, ownedRecords, packBatches, planDelete, planUpsert, type ZoneView } from './records.ts';
import { findHostedZone, type ZoneRef } from './zone.ts';

export const DEFAULT_TTL = 60;
/** How long observe's walk of a zone serves upsert/delete decisions (changes are conditional, see above). */
export const DEFAULT_SNAPSHOT_MAX_AGE_MS = 10 * 60_000;
/** Largest ListResourceRecordSets page Route 53 returns. */
export const LIST_PAGE = 300;

export interface Route53ProviderInternals {
  config: Route53DnsProvider;
  client: Route53Client;
  /** How old a zone walk may be for upsert/delete decisions (default 10 minutes). */
  snapshotMaxAgeMs?: number;
  /** Quiet time that ends gathering calls into one request (default 50 ms). */
  batchWindowMs?: number;
  /** Longest a change waits to be sent while calls keep arriving (default 1,000 ms). */
  batchMaxWaitMs?: number;
  now?: () => number;
  /** Backoff for throttling the client's own retries did not handle. */
  retry?: BackoffOptions;
}

interface PendingItem {
  op: 'upsert' | 'delete';
  record: DnsRecord;
  settle: (error?: Error) => void;
}

interface ZoneState {
  view?: ZoneView;
  viewAt: number;
  queue: PendingItem[];
  timer?: ReturnType<typeof setTimeout>;
  /** When the oldest item waiting for the timer was queued (ms, wall clock). */
  firstQueuedAt?: number;
  flushing?: Promise<void>;
}

interface Planned {
  item: PendingItem;
  changes: NonNullable<Extract<ItemPlan, { kind: 'changes' }>['changes']>;
}

const BATCH_REJECTIONS = new Set(['InvalidChangeBatch', 'InvalidInput']);

export function createRoute53Provider(internals: Route53ProviderInternals): DnsProviderClient {
  const { config, client } = internals;
  const now = internals.now ?? Date.now;
  const maxAge = internals.snapshotMaxAgeMs ?? DEFAULT_SNAPSHOT_MAX_AGE_MS;
  const windowMs = internals.batchWindowMs ?? 50;
  const maxWaitMs = Math.max(windowMs, internals.batchMaxWaitMs ?? 1000);
  const region = config.aws_region ?? 'us-east-1';
  const zoneRefs = new Map<string, Promise<ZoneRef>>();
  const zones = new Map<string, ZoneState>();

  async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withThrottleRetry(run, internals.retry);
    } catch (error) {
      if (error instanceof PoolformError) throw error;
      const code = awsErrorCode(error);
      if (code === 'AccessDenied' || code === 'AccessDeniedException' || code === 'UnauthorizedOperation') {
        throw new PoolformError(
          'aws-unauthorized',
          `DnsProvider ${config.name}: the AWS credentials (access_key_id/secret_access_key, or the default credential chain) are not allowed to call route53:${operation}; grant it (see the IAM policy in docs/providers/aws.md)`,
          { cause: error, details: { aws_code: code } },
        );
      }
      if (code === 'NoSuchHostedZone') {
        throw new PoolformError('dns-zone-not-found', `DnsProvider ${config.name}: hosted_zone_id ${config.hosted_zone_id ?? '(looked up)'} does not exist`, {
          cause: error,
        });
      }
      if (BATCH_REJECTIONS.has(code)) throw error; // handled by the batch logic
      const generic = genericAwsError('route53', operation, region, error);
      throw new PoolformError(generic.code, `DnsProvider ${config.name}: ${generic.message}`, {
        retryable: generic.retryable,
        providerCode: generic.providerCode,
        cause: error,
        details: generic.details,
      });
    }
  }

  function zoneFor(baseDomain: string): Promise<ZoneRef> {
    if (config.hosted_zone_id) {
      return Promise.resolve({ id: config.hosted_zone_id.replace(/^\/hostedzone\//, ''), name: normalizeName(baseDomain) });
    }
    const key = normalizeName(baseDomain);
    let ref = zoneRefs.get(key);
    if (!ref) {
      ref = findHostedZone(client, config, key, send);
      zoneRefs.set(key, ref);
      const cachedRef = ref;
      cachedRef.catch(() => {
        if (zoneRefs.get(key) === cachedRef) zoneRefs.delete(key);
      });
    }
    return ref;
  }

  function stateOf(zoneId: string): ZoneState {
    let state = zones.get(zoneId);
    if (!state) {
      state = { viewAt: 0, queue: [] };
      zones.set(zoneId, state);
    }
    return state;
  }

  async function walk(zoneId: string): Promise<ZoneView> {
    const at = now();
    const rrsets: ResourceRecordSet[] = [];
    let start: { name: string; type: RRType | undefined; id: string | undefined } | undefined;
    for (;;) {
      const page = await send('ListResourceRecordSets', () =>
        client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            MaxItems: LIST_PAGE,
            ...(start ? { StartRecordName: start.name, StartRecordType: start.type, StartRecordIdentifier: start.id } : {}),
          }),
        ),
      );
      rrsets.push(...(page.ResourceRecordSets ?? []));
      if (!page.IsTruncated || !page.NextRecordName) break;
      start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
    }
    const view = indexRecordSets(rrsets);
    const state = stateOf(zoneId);
    state.view = view;
    state.viewAt = at;
    return view;
  }

  async function currentView(zoneId: string): Promise<ZoneView> {
    const state = stateOf(zoneId);
    if (state.view && now() - state.viewAt <= maxAge) return state.view;
    return await walk(zoneId);
  }

  function plan(view: ZoneView, item: PendingItem): ItemPlan {
    return item.op === 'upsert' ? planUpsert(view, item.record) : planDelete(view, item.record);
  }

  async function sendBatch(zoneId: string, batch: Planned[]): Promise<void> {
    await send('ChangeResourceRecordSets', () =>
      client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Comment: 'poolform', Changes: batch.flatMap((p) => p.changes) },
        }),
      ),
    );
  }

  /** Plans items against `view`; settles noops and refusals at once; returns those needing changes. */
  function planAll(view: ZoneView, items: PendingItem[]): Planned[] {
    const planned: Planned[] = [];
    for (const item of items) {
      const result = plan(view, item);
      switch (result.kind) {
        case 'noop':
          item.settle();
          break;
        case 'error':
          item.settle(result.error);
          break;
        case 'changes':
          planned.push({ item, changes: result.changes });
          break;
        default: {
          const never: never = result;
          throw new Error(`unexpected plan ${JSON.stringify(never)}`);
        }
      }
    }
    return planned;
  }

  function rejectionError(fqdn: string, error: unknown): PoolformError {
    const shape = sdkErrorShape(error);
    return new PoolformError('dns-change-rejected', `DnsProvider ${config.name}: Route 53 rejected the change for ${fqdn}: ${shape.name}: ${shape.message}`, {
      cause: error,
    });
  }

  /** Sends one batch; on a rejection re-walks the zone once (when `mayRewalk`), then bisects to isolate bad records. */
  async function commit(zoneId: string, batch: Planned[], mayRewalk: boolean): Promise<void> {
    const state = stateOf(zoneId);
    try {
      await sendBatch(zoneId, batch);
      if (state.view) for (const p of batch) applyChanges(state.view, p.changes);
      for (const p of batch) p.item.settle();
      return;
    } catch (error) {
      if (!BATCH_REJECTIONS.has(awsErrorCode(error))) {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const p of batch) p.item.settle(failure);
        return;
      }
      if (mayRewalk) {
        let view: ZoneView;
        try {
          view = await walk(zoneId);
        } catch (walkError) {
          for (const p of batch) p.item.settle(walkError instanceof Error ? walkError : new Error(String(walkError)));
          return;
        }
        for (const retry of packBatches(
          planAll(
            view,
            batch.map((p) => p.item),
          ),
        ))
          await commit(zoneId, retry, false);
        return;
      }
      if (batch.length === 1 && batch[0]) {
        batch[0].item.settle(rejectionError(batch[0].item.record.fqdn, error));
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await commit(zoneId, batch.slice(0, middle), false);
      await commit(zoneId, batch.slice(middle), false);
    }
  }

  async function flush(zoneId: string): Promise<void> {
    const state = stateOf(zoneId);
    state.timer = undefined;
    while (state.queue.length > 0) {
      // One change per name per request: a second operation on a name waits for the next round.
      const names = new Set<string>();
      const round: PendingItem[] = [];
      const later: PendingItem[] = [];
      for (const item of state.queue) {
        const name = normalizeName(item.record.fqdn);
        if (names.has(name)) later.push(item);
        else {
          names.add(name);
          round.push(item);
        }
      }
      state.queue = later;
      let view: ZoneView;
      try {
        view = await currentView(zoneId);
      } catch (error) {
        for (const item of round) item.settle(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      const batches = packBatches(planAll(view, round));
      for (const [index, batch] of batches.entries()) {
        // A later batch was planned before an earlier one's re-walk: plan it again on the fresh view.
        const current =
          index === 0
            ? batch
            : packBatches(
                planAll(
                  stateOf(zoneId).view ?? view,
                  batch.map((p) => p.item),
                ),
              ).flat();
        if (current.length > 0) await commit(zoneId, current, true);
      }
    }
  }

  /**
   * Debounced flush: waits until no new item arrived for `windowMs`, but no
   * longer than `maxWaitMs` after the first queued item. While a request is
   * in flight, arrivals wait for the next one.
   */
  function schedule(zoneId: string): void {
    const state = stateOf(zoneId);
    if (state.flushing) return;
    const t = Date.now();
    state.firstQueuedAt ??= t;
    if (state.timer) clearTimeout(state.timer);
    const delay = Math.max(0, Math.min(windowMs, state.firstQueuedAt + maxWaitMs - t));
    state.timer = setTimeout(() => {
      state.firstQueuedAt = undefined;
      const run = flush(zoneId).finally(() => {
        state.flushing = undefined;
        // Items that arrived during the flush go out in the next request.
        if (state.queue.length > 0) schedule(zoneId);
      });
      state.flushing = run;
    }, delay);
  }

  async function enqueue(op: 'upsert' | 'delete', baseDomain: string, records: readonly DnsRecord[]): Promise<ItemResult<DnsRecord>[]> {
    if (records.length === 0) return [];
    let zone: ZoneRef;
    try {
      zone = await zoneFor(baseDomain);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return records.map((item) => ({ item, error: failure }));
    }
    const state = stateOf(zone.id);
    const settled = records.map(
      (record) =>
        new Promise<ItemResult<DnsRecord>>((resolve) => {
          const normalized: DnsRecord = { ...record, fqdn: normalizeName(record.fqdn), ttl: record.ttl > 0 ? record.ttl : (config.ttl ?? DEFAULT_TTL) };
          state.queue.push({ op, record: normalized, settle: (error) => resolve(error ? { item: record, error } : { item: record }) });
        }),
    );
    schedule(zone.id);
    return await Promise.all(settled);
  }

  return {
    kind: 'route53',
    name: config.name,

    async observe(baseDomain) {
      const zone = await zoneFor(baseDomain);
      return ownedRecords(await walk(zone.id), baseDomain);
    },

    upsert: (baseDomain, records) => enqueue('upsert', baseDomain, records),
    delete: (baseDomain, records) => enqueue('delete', baseDomain, records),
  };
}
