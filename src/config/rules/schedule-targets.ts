// Per-window targets and pre-warming (per autoscale config):
// field-not-for-pool-type: a window override of the other pool type
//   (minimum_available_sessions on docker agent pools; standby_*,
//   num_sessions and staging_num_sessions on server pools).
// schedule-staging-unknown: staging_num_sessions names a staging config that
//   is not in the pool or does not use this autoscale config.
// schedule-cap-above-provider (warning): a window's max_instances above the VM
//   provider's: it is a lower cap only, the provider's still applies.
// (A prewarm that is not auto, off or a duration is a schema error: the
// schema's pattern is the grammar parseDuration reads.)
// prewarm-needs-checkin: prewarm auto learns boot times from check-ins; with
//   require_checkin false nothing checks in, so give a duration instead.
import type { Rule } from './context.ts';
import { findStaging, findVmProvider } from '../lookup.ts';

const SERVER_ONLY = ['minimum_available_sessions'] as const;
const DOCKER_ONLY = ['standby_cores', 'standby_memory_mb', 'standby_gpus', 'num_sessions', 'staging_num_sessions'] as const;

export const scheduleTargets: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    (pool.autoscale ?? []).forEach((a, i) => {
      (a.schedules ?? []).forEach((s, j) => {
        const at = ['autoscale', i, 'schedules', j];
        const wrong = pool.type === 'server' ? DOCKER_ONLY : SERVER_ONLY;
        const label = pool.type === 'server' ? 'docker agent pools' : 'server pools';
        for (const field of wrong) {
          if (s[field] === undefined) continue;
          ctx.report('error', 'field-not-for-pool-type', `window ${field} applies to ${label} only; pool ${pool.name} is of type ${pool.type}`, {
            doc: pool,
            path: [...at, field],
            target: 'key',
          });
        }
        if (pool.type === 'docker_agent') {
          for (const name of Object.keys(s.staging_num_sessions ?? {})) {
            const staging = findStaging(pool, name);
            if (staging && staging.autoscale === a.name) continue;
            ctx.report(
              'error',
              'schedule-staging-unknown',
              staging
                ? `staging config ${name} uses autoscale config ${staging.autoscale}, not ${a.name}: a window of ${a.name} cannot set its num_sessions`
                : `pool ${pool.name} has no staging config ${name}`,
              { doc: pool, path: [...at, 'staging_num_sessions', name], target: 'key' },
            );
          }
        }
        if (s.max_instances !== undefined) {
          const provider = findVmProvider(ctx.config, a.vm_provider);
          if (provider && s.max_instances > provider.max_instances) {
            ctx.report(
              'warning',
              'schedule-cap-above-provider',
              `window max_instances ${s.max_instances} is above VmProvider ${provider.name}'s max_instances ${provider.max_instances}: it only lowers the cap, the provider's still applies`,
              { doc: pool, path: [...at, 'max_instances'] },
            );
          }
        }
      });
      if (a.prewarm === 'auto' && a.require_checkin === false) {
        ctx.report(
          'error',
          'prewarm-needs-checkin',
          'prewarm: auto learns boot times from running check-ins, but require_checkin is false; give a duration (e.g. prewarm: 20m) or turn require_checkin on',
          { doc: pool, path: ['autoscale', i, 'prewarm'] },
        );
      }
    });
  }
};
