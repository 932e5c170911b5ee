// autoscale-type-mismatch: an autoscale config's optional autoscale_type must
// equal its pool's type. field-not-for-pool-type: fields documented in the
// schema as "Server pools: ..." or "Docker agent pools: ..." are rejected
// when written on the other pool type (schema defaults do not count).
import type { Rule } from './context.ts';
import { isWritten } from '../source.ts';
import { poolTypeOnlyFields } from './schema-fields.ts';
import type { PoolType } from './schema-fields.ts';

const LABEL: Record<PoolType, string> = { server: 'server pools', docker_agent: 'docker agent pools' };

export const autoscaleTypeMatches: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    (pool.autoscale ?? []).forEach((a, i) => {
      if (a.autoscale_type !== undefined && a.autoscale_type !== pool.type) {
        ctx.report('error', 'autoscale-type-mismatch', `autoscale_type ${a.autoscale_type} does not match pool ${pool.name}, which is of type ${pool.type}`, {
          doc: pool,
          path: ['autoscale', i, 'autoscale_type'],
        });
      }
    });
  }
};

export const poolTypeFields: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    const source = ctx.sourceOf(pool);
    if (!source) continue;
    const other: PoolType = pool.type === 'server' ? 'docker_agent' : 'server';
    for (const field of poolTypeOnlyFields('Pool', other)) {
      const value = (pool as unknown as Record<string, unknown>)[field];
      const empty = Array.isArray(value) && value.length === 0;
      if (!empty && isWritten(source, [field])) {
        ctx.report('error', 'field-not-for-pool-type', `${field} applies to ${LABEL[other]} only; pool ${pool.name} is of type ${pool.type}`, {
          doc: pool,
          path: [field],
          target: 'key',
        });
      }
    }
    (pool.autoscale ?? []).forEach((_, i) => {
      for (const field of poolTypeOnlyFields('AutoscaleConfig', other)) {
        if (isWritten(source, ['autoscale', i, field])) {
          ctx.report(
            'error',
            'field-not-for-pool-type',
            `${field} applies to autoscale configs of ${LABEL[other]} only; pool ${pool.name} is of type ${pool.type}`,
            { doc: pool, path: ['autoscale', i, field], target: 'key' },
          );
        }
      }
    });
  }
};
