// The EC2 VM provider. Contracts (see providers/types.ts) and how they are met:
// - observe(): one DescribeInstances walk filtered by `tag:poolform:managed`,
//   1,000 instances per page (1,000 instances ⇒ at most 2 calls).
// - create(): idempotent by intent id, twice over: the intent id is the EC2
//   ClientToken (AWS returns the original instance for a repeated token), and
//   before launching, the owned instances are checked for one tagged with the
//   same `poolform:intent-id` (covers crashes and emulators without ClientToken
//   support). max_instances is checked against the instances that exist (a
//   DescribeInstances at most `snapshotMaxAgeMs` old, plus launches this
//   process made since), never against a counter alone.
// - destroy(): only instances carrying poolform's tags are terminated (known
//   from an observe, else looked up first: by id, or with one owned listing
//   when there are many), ≤ 1,000 ids per TerminateInstances; unknown or
//   terminated ids are success.
// - capacity(): DescribeInstanceTypes, cached per process.
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type Instance,
  type _InstanceType,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { AwsVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import type { ItemResult, ObservedVm, VmCreateRequest, VmProviderClient, VmRef } from '../types.ts';
import { awsErrorCode, toEc2Error } from './errors.ts';
import { belongsTo, isLive, mapInstanceState, toObservedVm } from './instances.ts';
import { assertUserDataFits, buildRunInstancesInput, USER_DATA_MAX_BYTES, userDataSize } from './launch-request.ts';
import { createMutex } from './mutex.ts';
import { type BackoffOptions, withThrottleRetry } from './retry.ts';
import { TAG_MANAGED } from './tags.ts';
import { createSingleFlight } from '../shared/single-flight.ts';

/** Largest DescribeInstances page and TerminateInstances batch EC2 accepts. */
export const EC2_MAX_PAGE = 1000;
export const TERMINATE_BATCH = 1000;
/** Values per DescribeInstances filter used for the ownership check before terminating. */
export const FILTER_VALUES_MAX = 200;

export interface Ec2ProviderInternals {
  config: AwsVmProvider;
  client: EC2Client;
  /** How old a DescribeInstances result may be to admit a launch (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** DescribeInstances MaxResults (5..1000, default 1000). */
  pageSize?: number;
  now?: () => number;
  /** Backoff for throttling the client's own retries did not handle. */
  retry?: BackoffOptions;
}

interface Snapshot {
  /** When the describe walk started. */
  at: number;
  vms: ObservedVm[];
}

interface Launched {
  vm: ObservedVm;
  at: number;
}

// Per-process caches (immutable facts about AMIs and instance types).
const rootDeviceCache = new Map<string, Promise<string>>();
const instanceTypeCache = new Map<string, Promise<Resources | undefined>>();

/** Clears the per-process AMI/instance-type caches (tests). */
export function clearEc2Caches(): void {
  rootDeviceCache.clear();
  instanceTypeCache.clear();
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) return hit;
  const promise = load();
  cache.set(key, promise);
  // Failures are not cached: the next call asks AWS again.
  promise.catch(() => {
    if (cache.get(key) === promise) cache.delete(key);
  });
  return promise;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createEc2Provider(internals: Ec2ProviderInternals): VmProviderClient {
  const { config, client } = internals;
  const now = internals.now ?? Date.now;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const pageSize = Math.min(EC2_MAX_PAGE, Math.max(5, internals.pageSize ?? EC2_MAX_PAGE));
  const cacheScope = `${config.endpoint ?? 'aws'}|${config.aws_region}`;
  const admission = createMutex();

  let snapshot: Snapshot | undefined;
  /** Launches this process made, by intent id, until a later describe shows them. */
  const launched = new Map<string, Launched>();
  /** Launches admitted but not yet answered by RunInstances. */
  const launching = createSingleFlight<ObservedVm>();
  let reserved = 0;

  async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withThrottleRetry(send, internals.retry);
    } catch (error) {
      throw toEc2Error(error, config, operation);
    }
  }

  async function describeOwned(): Promise<Snapshot> {
    const at = now();
    const vms: ObservedVm[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call('DescribeInstances', () =>
        client.send(
          new DescribeInstancesCommand({
            Filters: [{ Name: `tag:${TAG_MANAGED}`, Values: ['true'] }],
            MaxResults: pageSize,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (!belongsTo(instance, config.name)) continue;
          const vm = toObservedVm(instance);
          if (vm) vms.push(vm);
        }
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
    const fresh = { at, vms };
    snapshot = fresh;
    // A launch is forgotten once a describe that started after it shows it,
    // or after a minute (EC2's eventual consistency is seconds).
    const seen = new Set(vms.map((vm) => vm.provider_id));
    for (const [intent, entry] of launched) {
      if ((seen.has(entry.vm.provider_id) && at >= entry.at) || at - entry.at > 60_000) launched.delete(intent);
    }
    return fresh;
  }

  async function rootDeviceName(): Promise<string> {
    return await cached(rootDeviceCache, `${cacheScope}|${config.aws_ec2_ami_id}`, async () => {
      const out = await call('DescribeImages', () => client.send(new DescribeImagesCommand({ ImageIds: [config.aws_ec2_ami_id] })));
      const name = out.Images?.find((image) => image.ImageId === config.aws_ec2_ami_id)?.RootDeviceName ?? out.Images?.[0]?.RootDeviceName;
      if (!name) {
        throw new PoolformError('aws-invalid-ami', `VmProvider ${config.name}: aws_ec2_ami_id ${config.aws_ec2_ami_id} does not exist in ${config.aws_region}`);
      }
      return name;
    });
  }

  /** Live instances (by id) from the snapshot plus this process's launches it does not show yet. */
  function liveInstances(snap: Snapshot): Map<string, ObservedVm> {
    const live = new Map<string, ObservedVm>();
    for (const { vm } of launched.values()) if (isLive(vm.state)) live.set(vm.provider_id, vm);
    for (const vm of snap.vms) {
      if (isLive(vm.state)) live.set(vm.provider_id, vm);
      else live.delete(vm.provider_id);
    }
    return live;
  }

  function findIntent(snap: Snapshot, intentId: string): ObservedVm | undefined {
    const mine = launched.get(intentId)?.vm;
    const seen = snap.vms.filter((vm) => vm.intent_id === intentId);
    // Prefer an instance that still exists over a terminated one.
    return seen.find((vm) => isLive(vm.state)) ?? (mine && isLive(mine.state) ? mine : undefined) ?? seen[0] ?? mine;
  }

  function observedFromLaunch(instance: Instance | undefined, request: VmCreateRequest): ObservedVm {
    const fromTags = instance ? toObservedVm(instance) : undefined;
    if (fromTags) return fromTags;
    if (!instance?.InstanceId) {
      throw new PoolformError('aws-error', `VmProvider ${config.name}: RunInstances returned no instance`, { retryable: true });
    }
    const launchedAt = instance.LaunchTime;
    return {
      provider_id: instance.InstanceId,
      server_id: request.server_id,
      pool: request.pool,
      autoscale: request.autoscale,
      hostname: request.hostname,
      intent_id: request.intent_id,
      state: mapInstanceState(instance.State?.Name),
      private_ip: instance.PrivateIpAddress ?? null,
      public_ip: instance.PublicIpAddress ?? null,
      launched_at: launchedAt instanceof Date ? launchedAt.toISOString() : null,
    };
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const needsRoot = config.aws_ec2_ebs_volume_size_gb !== undefined || config.aws_ec2_ebs_volume_type !== undefined;
    const input = buildRunInstancesInput({ config, request, ...(needsRoot ? { rootDeviceName: await rootDeviceName() } : {}) });
    const finalBytes = userDataSize(input);
    if (finalBytes > USER_DATA_MAX_BYTES) {
      throw new PoolformError(
        'user-data-too-large',
        `VmProvider ${config.name}: the user data after aws_ec2_config_override is ${finalBytes} bytes; EC2 allows ${USER_DATA_MAX_BYTES}`,
        { nothingCreated: true, details: { bytes: finalBytes, limit: USER_DATA_MAX_BYTES } },
      );
    }

    const admitted = await admission.run(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await describeOwned();
      const existing = findIntent(current, request.intent_id);
      if (existing) return existing;
      const live = liveInstances(current).size;
      if (live + reserved >= config.max_instances) {
        const launchingNote = reserved > 0 ? ` and ${reserved} launching` : '';
        throw new PoolformError(
          'max-instances-reached',
          `VmProvider ${config.name}: max_instances (${config.max_instances}) reached: ${live} instances exist${launchingNote}; raise max_instances to launch more`,
          { retryable: true, nothingCreated: true, details: { max_instances: config.max_instances, live, launching: reserved } },
        );
      }
      reserved++;
      return undefined;
    });
    if (admitted) return admitted;

    try {
      const out = await call('RunInstances', () => client.send(new RunInstancesCommand(input)));
      const vm = observedFromLaunch(out.Instances?.[0], request);
      launched.set(request.intent_id, { vm, at: now() });
      return vm;
    } catch (error) {
      if (awsErrorCode(error instanceof PoolformError ? error.cause : error) === 'IdempotentParameterMismatch') {
        throw new PoolformError(
          'aws-idempotency-mismatch',
          `VmProvider ${config.name}: intent ${request.intent_id} was already used to launch an instance with different settings; plan again`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      reserved--;
    }
  }

  async function describeByIds(ids: readonly string[]): Promise<Map<string, Instance>> {
    const found = new Map<string, Instance>();
    for (const chunk of chunks(ids, FILTER_VALUES_MAX)) {
      let nextToken: string | undefined;
      do {
        const page = await call('DescribeInstances', () =>
          client.send(
            new DescribeInstancesCommand({
              Filters: [{ Name: 'instance-id', Values: chunk }],
              MaxResults: EC2_MAX_PAGE,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          ),
        );
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (instance.InstanceId) found.set(instance.InstanceId, instance);
          }
        }
        nextToken = page.NextToken || undefined;
      } while (nextToken);
    }
    return found;
  }

  /** Terminates one batch; ids EC2 reports as unknown are dropped and the rest retried. */
  async function terminateBatch(ids: readonly string[]): Promise<Map<string, Error | null>> {
    const outcome = new Map<string, Error | null>();
    let pending = [...ids];
    for (let round = 0; pending.length > 0 && round < 3; round++) {
      try {
        const batch = pending;
        const out = await withThrottleRetry(() => client.send(new TerminateInstancesCommand({ InstanceIds: batch })), internals.retry);
        const confirmed = new Set((out.TerminatingInstances ?? []).map((t) => t.InstanceId));
        for (const id of pending) {
          outcome.set(
            id,
            confirmed.has(id)
              ? null
              : new PoolformError('aws-terminate-unconfirmed', `VmProvider ${config.name}: TerminateInstances did not confirm ${id}`, { retryable: true }),
          );
        }
        return outcome;
      } catch (error) {
        const code = awsErrorCode(error);
        if (code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed') {
          const message = error instanceof Error ? error.message : '';
          const unknown = new Set(message.match(/i-[0-9a-zA-Z]+/g) ?? []);
          const known = pending.filter((id) => !unknown.has(id));
          if (known.length < pending.length) {
            for (const id of pending) if (unknown.has(id)) outcome.set(id, null);
            pending = known;
            continue;
          }
        }
        const mapped = toEc2Error(error, config, 'TerminateInstances');
        for (const id of pending) outcome.set(id, mapped);
        return outcome;
      }
    }
    return outcome;
  }

  function markTerminated(id: string): void {
    for (const entry of launched.values()) {
      if (entry.vm.provider_id === id) entry.vm = { ...entry.vm, state: 'shutting-down' };
    }
    if (snapshot) {
      snapshot = { at: snapshot.at, vms: snapshot.vms.map((vm) => (vm.provider_id === id ? { ...vm, state: 'shutting-down' } : vm)) };
    }
  }

  return {
    kind: 'aws',
    name: config.name,

    async observe() {
      return (await describeOwned()).vms;
    },

    async create(request) {
      // Refuse before any AWS call: the limit applies to the rendered script.
      assertUserDataFits(config.name, request.user_data);
      return await launching(request.intent_id, () => launch(request));
    },

    async destroy(refs) {
      const results: ItemResult<VmRef>[] = refs.map((item) => ({ item }));
      const ids = [...new Set(refs.map((r) => r.provider_id))];
      if (ids.length === 0) return results;
      const errors = new Map<string, Error | null>();
      const toTerminate: string[] = [];
      // Ownership: instances this process observed carrying the tags are
      // known to be ours (tags do not move between instances); the others are
      // looked up (200 ids per filter) before terminating. Many unknown ids (a
      // fresh process destroying a pool) are cheaper to find with one owned
      // listing (1,000 per page) first.
      const known = new Set<string>([...(snapshot?.vms ?? []), ...[...launched.values()].map((l) => l.vm)].map((vm) => vm.provider_id));
      if (ids.filter((id) => !known.has(id)).length > FILTER_VALUES_MAX) {
        try {
          await describeOwned();
        } catch (error) {
          for (const result of results) result.error = error instanceof Error ? error : new Error(String(error));
          return results;
        }
      }
      const observed = new Map<string, ObservedVm>();
      for (const vm of snapshot?.vms ?? []) observed.set(vm.provider_id, vm);
      for (const { vm } of launched.values()) observed.set(vm.provider_id, vm);
      const fresh = snapshot !== undefined && now() - snapshot.at <= maxAge;
      const unseen: string[] = [];
      for (const id of ids) {
        const vm = observed.get(id);
        if (!vm) unseen.push(id);
        else if (vm.state === 'terminated' && fresh) errors.set(id, null);
        else toTerminate.push(id);
      }
      let found = new Map<string, Instance>();
      try {
        if (unseen.length > 0) found = await describeByIds(unseen);
      } catch (error) {
        for (const result of results) result.error = error instanceof Error ? error : new Error(String(error));
        return results;
      }
      for (const id of unseen) {
        const instance = found.get(id);
        if (!instance)
          errors.set(id, null); // unknown or long gone
        else if (!belongsTo(instance, config.name)) {
          errors.set(
            id,
            new PoolformError(
              'not-owned',
              `VmProvider ${config.name}: instance ${id} is not tagged ${TAG_MANAGED}=true for this provider; poolform does not terminate it`,
            ),
          );
        } else if (instance.State?.Name === 'terminated') errors.set(id, null);
        else toTerminate.push(id);
      }
      for (const batch of chunks(toTerminate, TERMINATE_BATCH)) {
        for (const [id, error] of await terminateBatch(batch)) {
          errors.set(id, error);
          if (error === null) markTerminated(id);
        }
      }
      for (const result of results) {
        const error = errors.get(result.item.provider_id);
        if (error) result.error = error;
      }
      return results;
    },

    async capacity() {
      return await cached(instanceTypeCache, `${cacheScope}|${config.aws_ec2_instance_type}`, async () => {
        const out = await call('DescribeInstanceTypes', () =>
          client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [config.aws_ec2_instance_type as _InstanceType] })),
        );
        const info = out.InstanceTypes?.[0];
        if (!info) return undefined;
        const cores = info.VCpuInfo?.DefaultVCpus;
        const memory = info.MemoryInfo?.SizeInMiB;
        if (cores === undefined || memory === undefined) return undefined;
        const gpus = (info.GpuInfo?.Gpus ?? []).reduce((sum, gpu) => sum + (gpu.Count ?? 0), 0);
        return { cores, memory_mb: memory, gpus };
      });
    },
  };
}
