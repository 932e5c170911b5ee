// applyPlan: carries out a Plan. The caller holds the state lock.
//
// - The apply policy decides what runs and what is held (policy.ts).
// - State housekeeping first (intents that made nothing, leftover server records).
// - Changes run as a dependency graph (AD record → VM → DNS record; deletes
//   in reverse), concurrently, at most `concurrency` calls per provider; one
//   failure stops only what depends on it; the rest completes.
// - Each step persists its result at once (see vm-step.ts, record-steps.ts).
// - Afterwards: autoscale history (last create/destroy, refused creates for the
//   create backoff) and one audit entry
//   per change.
import { nextHistory } from '../autoscale/history.ts';
import type { Decision } from '../autoscale/types.ts';
import { autoscaleKey } from '../config/model.ts';
import { createKeyedLimiter } from '../providers/call-limit.ts';
import type { Plan, ResourceChange } from '../plan/types.ts';
import type { AuditEntry, JsonObject } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';
import { executeGraph } from './executor.ts';
import { splitByPolicy } from './policy.ts';
import { applyComputerChange, applyDnsChange, applyDnsGroup, dnsGroupKey } from './record-steps.ts';
import { applyServerChange } from './server-step.ts';
import { createStepContext } from './step-context.ts';
import type { StepContext } from './step-context.ts';
import type { ApplyDeps, ApplyResult, ChangeOutcome } from './types.ts';
import { applyVmChange, destroyVmGroup, vmDestroyGroupKey } from './vm-step.ts';

export const DEFAULT_PROVIDER_CONCURRENCY = 10;

function runChange(ctx: StepContext, change: ResourceChange): Promise<void> {
  switch (change.type) {
    case 'server':
      return applyServerChange(ctx, change);
    case 'vm':
      return applyVmChange(ctx, change);
    case 'dns_record':
      return applyDnsChange(ctx, change);
    case 'ad_computer':
      return applyComputerChange(ctx, change);
    default: {
      const never: never = change;
      throw new Error(`unknown resource type ${String((never as { type: unknown }).type)}`);
    }
  }
}

async function runCleanup(ctx: StepContext, plan: Plan): Promise<number> {
  const { store } = ctx.deps;
  let done = 0;
  for (const c of plan.cleanup ?? []) {
    if (c.kind === 'intent') {
      await store.deleteIntent(c.id);
      const serverId = c.address.startsWith('vm.') ? c.address.slice(c.address.lastIndexOf('.') + 1) : null;
      if (serverId && !(await store.getResource(c.address))) {
        const server = await store.getServer(serverId);
        if (server && server.address === c.address) await store.deleteServer(serverId);
      }
    } else if (!(await store.getResource(c.address))) {
      await store.deleteServer(c.id);
    }
    done++;
  }
  return done;
}

/** The decisions carried out by the applied changes (for the autoscale history). */
function appliedDecisions(plan: Plan, outcomes: readonly ChangeOutcome[]): Decision[] {
  const applied = new Set(outcomes.filter((o) => o.status === 'applied').map((o) => o.address));
  const byServer = new Map<string, ResourceChange>();
  const createsDone = new Map<string, number>();
  for (const c of plan.changes) {
    if (c.type !== 'vm') continue;
    byServer.set(c.name, c);
    if (applied.has(c.address) && (c.action === 'create' || c.action === 'replace') && c.pool) {
      const as = c.after?.['autoscale'];
      if (typeof as === 'string') {
        const key = autoscaleKey(c.pool, as);
        createsDone.set(key, (createsDone.get(key) ?? 0) + 1);
      }
    }
  }
  const result: Decision[] = [];
  for (const d of plan.decisions) {
    if (d.action === 'create') {
      const key = autoscaleKey(d.pool, d.autoscale);
      const left = createsDone.get(key) ?? 0;
      if (left > 0) {
        createsDone.set(key, left - 1);
        result.push(d);
      }
    } else if ((d.action === 'destroy' || d.action === 'drain') && d.server_id) {
      const c = byServer.get(d.server_id);
      if (c && applied.has(c.address)) result.push(d);
    }
  }
  return result;
}

async function recordHistory(ctx: StepContext, decisions: readonly Decision[]): Promise<void> {
  if (decisions.length === 0 && ctx.createFailures.length === 0) return;
  const { store } = ctx.deps;
  const before = await store.getHistory();
  const after = nextHistory(before, decisions, ctx.nowIso(), ctx.createFailures);
  for (const [key, entry] of Object.entries(after)) {
    const old = before[key];
    if (!old || JSON.stringify(old) !== JSON.stringify(entry)) await store.putHistory(key, entry);
  }
}

function auditAction(change: ResourceChange, outcome: ChangeOutcome): string {
  if (outcome.status !== 'applied') return outcome.status === 'failed' ? 'apply-failed' : 'apply-skipped';
  if (change.action === 'update' && change.before === null) return 'adopt';
  return change.action === 'delete' ? 'destroy' : change.action;
}

export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyResult> {
  const policy = deps.policy ?? 'all';
  const concurrency = deps.concurrency ?? deps.config.settings.provider_concurrency ?? DEFAULT_PROVIDER_CONCURRENCY;
  const limiter = createKeyedLimiter(Math.max(1, Math.floor(concurrency)));
  const ctx = createStepContext(deps, limiter);
  for (const c of plan.changes) if (c.type === 'vm' && (c.action === 'create' || c.action === 'replace')) ctx.vmCreates.set(c.name, c);
  const { run, held } = splitByPolicy(plan.changes, policy);

  const cleaned = policy === 'manual' ? 0 : await runCleanup(ctx, plan);

  const outcomes = await executeGraph(run, {
    run: (change) => runChange(ctx, change),
    // One batched call per DNS zone (upserts, deletes) and per VM provider (destroys).
    groupOf: (change) => dnsGroupKey(change) ?? vmDestroyGroupKey(change),
    runGroup: (key, changes) => (key.startsWith('vm-destroy|') ? destroyVmGroup(ctx, changes) : applyDnsGroup(ctx, changes)),
    onStart: (change) => deps.onEvent?.({ kind: 'start', change }),
    onEnd: (change, outcome, ms) => {
      deps.onEvent?.({ kind: 'end', change, outcome, ms });
      const fields = { address: change.address, action: change.action, status: outcome.status, ms: Math.round(ms) };
      if (outcome.status === 'failed')
        ctx.log.error(
          { ...fields, error: outcome.message, code: outcome.code ?? 'apply-failed' },
          `${change.address}: error [${outcome.code ?? 'apply-failed'}]: ${outcome.message ?? 'failed'}`,
        );
      else if (outcome.status === 'skipped') ctx.log.warn({ ...fields, why: outcome.message }, `${change.address}: skipped: ${outcome.message ?? ''}`);
      else ctx.log.info({ ...fields, reason: change.reason }, `${change.address}: ${change.action} done`);
    },
  });
  ctx.passwords.clear();

  const byAddress = new Map(outcomes.map((o) => [o.address, o]));
  const all: ChangeOutcome[] = plan.changes.map(
    (c) => byAddress.get(c.address) ?? { address: c.address, action: c.action, status: 'held', message: `held by apply policy ${policy}` },
  );

  const summary = { added: 0, changed: 0, destroyed: 0 };
  for (const o of outcomes) {
    if (o.status !== 'applied') continue;
    if (o.action === 'create' || o.action === 'replace') summary.added++;
    if (o.action === 'delete' || o.action === 'replace') summary.destroyed++;
    if (o.action === 'update') summary.changed++;
  }

  try {
    await recordHistory(ctx, appliedDecisions(plan, outcomes));
  } catch (error) {
    ctx.log.error({ error: errorMessage(error) }, 'could not record the autoscale history');
  }

  const at = ctx.nowIso();
  const actor = deps.actor ?? 'cli';
  const changesByAddress = new Map(plan.changes.map((c) => [c.address, c]));
  const audit: AuditEntry[] = [];
  for (const o of outcomes) {
    const change = changesByAddress.get(o.address);
    if (!change) continue;
    const detail: JsonObject = { status: o.status, action: change.action };
    if (o.message !== null) detail['message'] = o.message;
    audit.push({ at, actor, action: auditAction(change, o), address: o.address, reason: change.reason, detail });
  }
  for (const h of held) audit.push({ at, actor, action: 'hold', address: h.address, reason: `held by apply policy ${policy}: ${h.reason}`, detail: null });
  try {
    if (audit.length > 0) await deps.store.appendAudit(audit);
  } catch (error) {
    ctx.log.error({ error: errorMessage(error) }, 'could not write the audit log');
  }

  return {
    outcomes: all,
    held,
    failures: outcomes.filter((o) => o.status === 'failed'),
    skipped: outcomes.filter((o) => o.status === 'skipped'),
    summary,
    cleaned,
  };
}
