// Invariants of the decision core over thousands of random worlds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AutoscaleConfig, Config, Pool, VmProvider } from '../config/model.ts';
import type { AutoscaleHistory } from '../model/autoscale-history.ts';
import type { Resources } from '../model/compute.ts';
import type { ServerStatus } from '../model/server.ts';
import type { DecisionInput, DecisionResult, ServerView, StagedSessionView } from './types.ts';
import { decide } from './decide.ts';
import { nextHistory } from './history.ts';
import { usedUp } from './lifecycle.ts';
import { agentFree } from './docker-pool.ts';
import { freeSlots } from './server-pool.ts';
import { agentCapacity } from './settings.ts';
import { applyInstantly, localProvider, makeConfig } from './testing.ts';
import { propertyRuns } from '../testing/property-runs.ts';

const NOW = '2024-01-10T12:00:00.000Z'; // a Wednesday
const NOW_MS = Date.parse(NOW);
const PROVIDERS = ['p0', 'p1'];
const STATUSES: ServerStatus[] = ['provisioning', 'starting', 'running', 'running', 'running', 'failed', 'draining', 'destroying'];
const ACTIVE = [{ days: ['wed' as const], start: '00:00', end: '24:00', timezone: 'UTC' }];
const INACTIVE = [{ days: ['sat' as const], start: '00:00', end: '24:00', timezone: 'America/New_York' }];

const autoscaleArb = (type: Pool['type'], name: string): fc.Arbitrary<AutoscaleConfig> =>
  fc
    .record({
      vm_provider: fc.constantFrom(...PROVIDERS),
      enabled: fc.integer({ min: 0, max: 9 }).map((n) => n >= 1), // mostly enabled; fast-check's own randomness keeps runs reproducible
      schedules: fc.constantFrom([], [], ACTIVE, INACTIVE),
      aggressive_scaling: fc.boolean(),
      downscale_backoff: fc.option(fc.constantFrom(0, 60, 1800), { nil: undefined }),
      checkin_timeout: fc.option(fc.constantFrom('10m', '30m', '2h'), { nil: undefined }),
      minimum_available_sessions: fc.integer({ min: 0, max: 12 }),
      max_simultaneous_sessions_per_server: fc.integer({ min: 1, max: 4 }),
      reusable: fc.boolean(),
      standby_cores: fc.integer({ min: 0, max: 20 }),
      standby_memory_mb: fc.integer({ min: 0, max: 40_000 }),
      standby_gpus: fc.integer({ min: 0, max: 2 }),
      agent_cores_override: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
      agent_memory_override_gb: fc.option(fc.integer({ min: 1, max: 32 }), { nil: undefined }),
      agent_gpus_override: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    })
    .map((a) => {
      const base: AutoscaleConfig = { name, vm_provider: a.vm_provider, enabled: a.enabled, schedules: a.schedules, aggressive_scaling: a.aggressive_scaling };
      if (a.downscale_backoff !== undefined) base.downscale_backoff = a.downscale_backoff;
      if (a.checkin_timeout !== undefined) base.checkin_timeout = a.checkin_timeout;
      if (type === 'server') {
        return {
          ...base,
          minimum_available_sessions: a.minimum_available_sessions,
          max_simultaneous_sessions_per_server: a.max_simultaneous_sessions_per_server,
          reusable: a.reusable,
        };
      }
      const docker: AutoscaleConfig = { ...base, standby_cores: a.standby_cores, standby_memory_mb: a.standby_memory_mb, standby_gpus: a.standby_gpus };
      if (a.agent_cores_override !== undefined) docker.agent_cores_override = a.agent_cores_override;
      if (a.agent_memory_override_gb !== undefined) docker.agent_memory_override_gb = a.agent_memory_override_gb;
      if (a.agent_gpus_override !== undefined) docker.agent_gpus_override = a.agent_gpus_override;
      return docker;
    });

const poolArb = (index: number): fc.Arbitrary<Pool> =>
  fc.constantFrom<Pool['type']>('server', 'docker_agent').chain((type) =>
    fc
      .tuple(
        fc.array(fc.constant(0), { minLength: 1, maxLength: 2 }).chain((xs) => fc.tuple(...xs.map((_, i) => autoscaleArb(type, `as${i}`)))),
        fc.array(fc.record({ num: fc.integer({ min: 0, max: 6 }), ws: fc.constantFrom('small', 'big', 'gpu'), as: fc.constantFrom('as0', 'as1') }), {
          maxLength: 2,
        }),
      )
      .map(([autoscale, staging]) => {
        const pool: Pool = { kind: 'Pool', name: `pool${index}`, type, autoscale };
        if (type === 'docker_agent') {
          pool.staging = staging.map((s, i) => ({ name: `st${i}`, workspace: s.ws, autoscale: s.as, num_sessions: s.num, expiration: 2 }));
        }
        return pool;
      }),
  );

const worldArb: fc.Arbitrary<DecisionInput> = fc
  .record({
    maxes: fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 25 })),
    pools: fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i)))),
    providerCapacity: fc.option(
      fc.record({ cores: fc.integer({ min: 1, max: 16 }), memory_mb: fc.integer({ min: 1024, max: 65536 }), gpus: fc.integer({ min: 0, max: 2 }) }),
      { nil: undefined },
    ),
    servers: fc.array(
      fc.record({
        pool: fc.integer({ min: 0, max: 4 }), // pool 4 never exists: removed pool
        autoscale: fc.constantFrom('as0', 'as1', 'as9'), // as9 never exists: removed config
        provider: fc.constantFrom(...PROVIDERS),
        status: fc.constantFrom(...STATUSES),
        ageMin: fc.integer({ min: 0, max: 240 }),
        active: fc.nat({ max: 3 }),
        max: fc.integer({ min: 1, max: 4 }),
        started: fc.nat({ max: 3 }),
        reusable: fc.option(fc.boolean(), { nil: undefined }),
        gone: fc.integer({ min: 0, max: 19 }).map((n) => n < 3),
        cap: fc.option(fc.record({ cores: fc.integer({ min: 1, max: 16 }), memory_mb: fc.integer({ min: 1024, max: 65536 }), gpus: fc.nat({ max: 2 }) }), {
          nil: undefined,
        }),
      }),
      { maxLength: 30 },
    ),
    queued: fc.array(fc.record({ pool: fc.integer({ min: 0, max: 4 }), ws: fc.constantFrom('small', 'big', null) }), { maxLength: 8 }),
    staged: fc.array(fc.record({ server: fc.nat(), st: fc.constantFrom('st0', 'st1', 'st7'), ageMin: fc.integer({ min: 0, max: 200 }) }), { maxLength: 10 }),
    failures: fc.option(fc.record({ n: fc.integer({ min: 1, max: 6 }), ago: fc.integer({ min: 0, max: 600 }), createdAgo: fc.integer({ min: 0, max: 60 }) }), {
      nil: undefined,
    }),
  })
  .map((w) => {
    const vmProviders: VmProvider[] = PROVIDERS.map((name, i) => localProvider(name, w.maxes[i] ?? 0));
    const config: Config = makeConfig({
      vmProviders,
      pools: w.pools,
      workspaces: [
        { kind: 'Workspace', name: 'small', image: 'x', cores: 1, memory_mb: 1024, gpus: 0 },
        { kind: 'Workspace', name: 'big', image: 'x', cores: 4, memory_mb: 8192, gpus: 0 },
        { kind: 'Workspace', name: 'gpu', image: 'x', cores: 2, memory_mb: 4096, gpus: 1 },
      ],
    });
    const servers: ServerView[] = w.servers.map((s, i) => {
      const poolName = `pool${s.pool}`;
      const pool = w.pools.find((p) => p.name === poolName);
      const docker = pool?.type === 'docker_agent';
      const capacity: Resources | null = docker ? (s.cap ?? null) : null;
      const used: Resources | null = docker && s.active > 0 ? { cores: s.active, memory_mb: s.active * 1024, gpus: 0 } : null;
      const view: ServerView = {
        id: `s${String(i).padStart(3, '0')}`,
        pool: poolName,
        autoscale: s.autoscale,
        vm_provider: s.provider,
        status: s.status,
        created_at: new Date(NOW_MS - s.ageMin * 60_000).toISOString(),
        active_sessions: s.status === 'provisioning' ? 0 : Math.min(s.active, s.max),
        max_sessions: s.max,
        capacity,
        used,
        gone: s.gone,
        sessions_started: Math.min(s.active, s.max) + s.started,
      };
      if (s.reusable !== undefined) view.reusable = s.reusable;
      return view;
    });
    const staged: StagedSessionView[] = [];
    w.staged.forEach((st, i) => {
      const target = servers.length > 0 ? servers[st.server % servers.length] : undefined;
      if (!target || target.active_sessions === 0) return;
      staged.push({ id: `g${i}`, pool: target.pool, staging: st.st, server_id: target.id, created_at: new Date(NOW_MS - st.ageMin * 60_000).toISOString() });
    });
    const history: Record<string, AutoscaleHistory> = {};
    if (w.failures) {
      for (const pool of w.pools) {
        history[`${pool.name}/as0`] = {
          last_create_at: new Date(NOW_MS - w.failures.createdAgo * 60_000).toISOString(),
          last_destroy_at: null,
          consecutive_failures: w.failures.n,
          last_failure_at: new Date(NOW_MS - w.failures.ago * 60_000).toISOString(),
        };
      }
    }
    const input: DecisionInput = {
      config,
      servers,
      queued: w.queued.map((q, i) => ({ id: `q${i}`, pool: `pool${q.pool}`, workspace: q.ws, created_at: NOW })),
      staged,
      history,
      providerCapacity: w.providerCapacity ? { p0: w.providerCapacity } : {},
      now: NOW,
    };
    return input;
  });

function liveCount(servers: readonly ServerView[], provider: string): number {
  return servers.filter((s) => !s.gone && s.vm_provider === provider).length;
}

function maxOf(input: DecisionInput, provider: string): number {
  return input.config.vmProviders.find((p) => p.name === provider)?.max_instances ?? 0;
}

const moves = (r: DecisionResult) => r.decisions.filter((d) => d.action === 'create' || d.action === 'destroy');

describe('decision invariants', () => {
  it('never destroys a server with an active session', () => {
    fc.assert(
      fc.property(worldArb, (input) => {
        const busy = new Set(input.servers.filter((s) => s.active_sessions > 0).map((s) => s.id));
        for (const d of decide(input).decisions) {
          if (d.action === 'destroy') expect(busy.has(d.server_id ?? '')).toBe(false);
        }
      }),
      { numRuns: propertyRuns(3000) },
    );
  });

  it('never exceeds a provider max_instances', () => {
    fc.assert(
      fc.property(worldArb, (input) => {
        const result = decide(input);
        const after = applyInstantly(input, result);
        for (const provider of PROVIDERS) {
          const max = maxOf(input, provider);
          const before = liveCount(input.servers, provider);
          const created = result.decisions.filter(
            (d) =>
              d.action === 'create' &&
              input.config.pools.find((p) => p.name === d.pool)?.autoscale?.find((a) => a.name === d.autoscale)?.vm_provider === provider,
          ).length;
          if (created > 0) {
            expect(liveCount(after.servers, provider)).toBeLessThanOrEqual(max);
            // Also at every instant: creates beyond the free slots wait for that many same-round destroys.
            const providerCreates = result.decisions.filter(
              (d) =>
                d.action === 'create' &&
                input.config.pools.find((p) => p.name === d.pool)?.autoscale?.find((a) => a.name === d.autoscale)?.vm_provider === provider,
            );
            const destroyedHere = new Set(result.decisions.filter((d) => d.action === 'destroy').map((d) => d.server_id));
            providerCreates.forEach((d, i) => {
              const waits = d.after_destroy ?? [];
              for (const id of waits) expect(destroyedHere.has(id)).toBe(true);
              expect(before + i + 1 - waits.length).toBeLessThanOrEqual(max);
            });
          }
          expect(liveCount(after.servers, provider)).toBeLessThanOrEqual(Math.max(max, before));
        }
      }),
      { numRuns: propertyRuns(3000) },
    );
  });

  it('does not thrash: after applying the decisions (instant boot), the next round creates and destroys nothing', () => {
    fc.assert(
      fc.property(worldArb, fc.boolean(), (input, recordHistory) => {
        const first = decide(input);
        const applied = applyInstantly(input, first);
        const next = recordHistory ? { ...applied, history: nextHistory(input.history, first.decisions, input.now) } : applied;
        const second = decide(next);
        expect(moves(second)).toEqual([]);
      }),
      { numRuns: propertyRuns(3000) },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(worldArb, (input) => {
        const shuffled = { ...input, servers: [...input.servers].reverse(), staged: [...input.staged].reverse() };
        expect(decide(shuffled).decisions).toEqual(decide(input).decisions);
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('converges: after a few rounds available capacity meets the minimum wherever max_instances allows it', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        let input: DecisionInput = { ...world, history: {} };
        for (let step = 0; step < 6; step++) {
          const result = decide(input);
          if (moves(result).length === 0 && result.staging.length === 0) break;
          input = { ...applyInstantly(input, result, `new${step}`, true), history: nextHistory(input.history, result.decisions, input.now) };
          // Time moves on past every backoff between rounds.
          input = { ...input, now: new Date(Date.parse(input.now) + 7 * 3_600_000).toISOString() };
        }
        const final = decide(input);
        for (const pool of input.config.pools) {
          for (const autoscale of pool.autoscale ?? []) {
            const holds = final.decisions.filter((d) => d.action === 'hold' && d.pool === pool.name && d.autoscale === autoscale.name);
            if (holds.some((h) => h.cause !== 'max-instances' && h.cause !== 'downscale-backoff')) continue; // capacity unknown etc.
            if (autoscale.enabled === false || (autoscale.schedules ?? []).length > 0) continue; // schedule checks live elsewhere
            const atCap = liveCount(input.servers, autoscale.vm_provider) >= maxOf(input, autoscale.vm_provider);
            if (atCap) continue;
            const usable = input.servers.filter(
              (s) =>
                s.pool === pool.name &&
                s.autoscale === autoscale.name &&
                !s.gone &&
                (s.status === 'running' || s.status === 'starting' || s.status === 'provisioning') &&
                !(pool.type === 'server' && usedUp(s, autoscale)),
            );
            if (pool.type === 'server') {
              const available = usable.reduce((n, s) => n + freeSlots(s, autoscale), 0);
              expect(available).toBeGreaterThanOrEqual(autoscale.minimum_available_sessions ?? 0);
            } else {
              const newAgent = agentCapacity(input.config, autoscale, input.providerCapacity);
              const free = { cores: 0, memory_mb: 0, gpus: 0 };
              for (const s of usable) {
                const f = agentFree(s, newAgent, undefined);
                free.cores += f.cores;
                free.memory_mb += f.memory_mb;
                free.gpus += f.gpus;
              }
              expect(free.cores).toBeGreaterThanOrEqual(autoscale.standby_cores ?? 0);
              expect(free.memory_mb).toBeGreaterThanOrEqual(autoscale.standby_memory_mb ?? 0);
              expect(free.gpus).toBeGreaterThanOrEqual(autoscale.standby_gpus ?? 0);
            }
          }
        }
      }),
      { numRuns: propertyRuns(1500) },
    );
  });
});
