// Adapts the plan/apply pipeline (apply/) to the daemon's ReconcileFn.
// Placeholder until apply/reconcile.ts lands: reports that nothing can be applied.
import { PoolformError } from '../util/errors.ts';
import type { ReconcileFn } from './pipeline.ts';

export const applyPipeline: ReconcileFn = () =>
  Promise.reject(new PoolformError('apply-unavailable', 'the plan/apply pipeline is not available in this build'));
