// The decision core (pure). decide() is called every reconcile; nextHistory /
// historyAfterCheckin are called by apply and the check-in endpoint.
export { decide } from './decide.ts';
export { createBackoffMs, createErrorBackoffMs, emptyHistory, historyAfterCheckin, nextHistory } from './history.ts';
export type { CreateFailure } from './history.ts';
export type * from './types.ts';
export { decisionCause } from './decision.ts';
