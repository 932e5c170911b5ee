// Saved plans (`plan -out FILE`): the Plan as JSON plus where it came from,
// never a secret. `apply FILE` applies exactly its changes, and refuses when
// the state moved on since (lineage or serial differ): "Saved plan is stale".
// Pure: reading and writing the file is the CLI's job.
import { createHash } from 'node:crypto';
import type { Config } from '../config/model.ts';
import type { StateMeta } from '../model/snapshot.ts';
import { PoolformError } from '../util/errors.ts';
import { redactNullable } from './redact.ts';
import type { Plan, ResourceChange } from './types.ts';

export const SAVED_PLAN_KIND = 'poolform-saved-plan';

export interface SavedPlanFile {
  kind: typeof SAVED_PLAN_KIND;
  version: 1;
  /** Absolute config directory the plan was made from (apply renders startup scripts from it). */
  config_dir: string;
  /** State path the plan was made against (`--state`). */
  state_path: string;
  /**
   * Digest of the loaded configuration the plan was made from (configDigest). `apply FILE`
   * renders startup scripts and settings from the config directory as it is then; a config
   * changed since the review is refused. Absent in plans saved by older versions.
   */
  config_digest?: string;
  plan: Plan;
}

/** JSON with object keys sorted: the same data always gives the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * sha256 of what the configuration says (secret references, never their values), without
 * where it lives (directory, source positions): moving the checkout or editing comments
 * keeps the digest, any change to an object or setting changes it.
 */
export function configDigest(config: Pick<Config, 'settings' | 'zones' | 'vmProviders' | 'dnsProviders' | 'ldapConfigs' | 'workspaces' | 'pools'>): string {
  const { settings, zones, vmProviders, dnsProviders, ldapConfigs, workspaces, pools } = config;
  return createHash('sha256').update(canonical({ settings, zones, vmProviders, dnsProviders, ldapConfigs, workspaces, pools })).digest('hex');
}

/** Throws PoolformError `saved-plan-stale` when the configuration changed since the plan was saved. */
export function assertConfigUnchanged(file: Pick<SavedPlanFile, 'config_digest' | 'config_dir'>, current: string): void {
  if (file.config_digest !== undefined && file.config_digest !== current) {
    throw new PoolformError(
      'saved-plan-stale',
      `Saved plan is stale: the configuration in ${file.config_dir} changed since the plan was made. Run poolform plan again.`,
    );
  }
}

function redactChange(c: ResourceChange): ResourceChange {
  return { ...c, before: redactNullable(c.before), after: redactNullable(c.after) };
}

export function serializeSavedPlan(file: Omit<SavedPlanFile, 'kind' | 'version'>): string {
  // diagnostics are in memory only: the file keeps the string lists (errors, fatal_errors).
  const { diagnostics: _inMemory, ...saved } = file.plan;
  const plan: Plan = {
    ...saved,
    changes: file.plan.changes.map(redactChange),
    held: file.plan.held.map(redactChange),
    drift: file.plan.drift.map((d) => ({ ...d, before: redactNullable(d.before), after: redactNullable(d.after) })),
  };
  const out: SavedPlanFile = {
    kind: SAVED_PLAN_KIND,
    version: 1,
    config_dir: file.config_dir,
    state_path: file.state_path,
    ...(file.config_digest !== undefined ? { config_digest: file.config_digest } : {}),
    plan,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function invalid(why: string): PoolformError {
  return new PoolformError('saved-plan-invalid', `not a poolform saved plan: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ACTIONS = new Set(['create', 'update', 'replace', 'delete']);
const TYPES = new Set(['server', 'vm', 'dns_record', 'ad_computer']);

function checkChange(c: unknown, where: string): void {
  if (!isObject(c)) throw invalid(`${where} is not an object`);
  if (typeof c['address'] !== 'string') throw invalid(`${where}.address is missing`);
  if (typeof c['action'] !== 'string' || !ACTIONS.has(c['action'])) throw invalid(`${where}.action is not create|update|replace|delete`);
  if (typeof c['type'] !== 'string' || !TYPES.has(c['type'])) throw invalid(`${where}.type is unknown`);
  if (!Array.isArray(c['depends_on'])) throw invalid(`${where}.depends_on is missing`);
  for (const k of ['before', 'after']) if (c[k] !== null && !isObject(c[k])) throw invalid(`${where}.${k} is not an object or null`);
}

/** Parses a saved plan file; throws PoolformError `saved-plan-invalid` for anything else. */
export function parseSavedPlan(text: string): SavedPlanFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid('the file is not JSON');
  }
  if (!isObject(data) || data['kind'] !== SAVED_PLAN_KIND) throw invalid(`"kind" is not ${SAVED_PLAN_KIND}`);
  if (data['version'] !== 1) throw invalid(`unsupported version ${JSON.stringify(data['version'])}`);
  if (typeof data['config_dir'] !== 'string' || typeof data['state_path'] !== 'string') throw invalid('config_dir/state_path missing');
  if (data['config_digest'] !== undefined && typeof data['config_digest'] !== 'string') throw invalid('config_digest is not a string');
  const plan = data['plan'];
  if (!isObject(plan)) throw invalid('"plan" is missing');
  if (plan['format_version'] !== '1.0') throw invalid('plan format_version is not 1.0');
  if (typeof plan['lineage'] !== 'string' || typeof plan['serial'] !== 'number') throw invalid('plan lineage/serial missing');
  for (const k of ['changes', 'drift', 'decisions', 'held', 'errors']) if (!Array.isArray(plan[k])) throw invalid(`plan.${k} is missing`);
  for (const [i, c] of (plan['changes'] as unknown[]).entries()) checkChange(c, `plan.changes[${i}]`);
  return data as unknown as SavedPlanFile;
}

/** How far a plan's decision instant may sit from its creation and still count as "now". */
const WHAT_IF_TOLERANCE_MS = 1_000;

/**
 * Throws PoolformError `saved-plan-what-if` for a plan decided for another instant than the one
 * it was made at (`plan --at`): its decisions (schedules, check-in ages) describe a world that is
 * not the real one, so it is never applied. `plan` refuses `-out` with `--at`; this guards plan
 * files written otherwise (older versions, edits).
 */
export function assertDecidedForNow(plan: Pick<Plan, 'at' | 'created_at'>): void {
  const at = Date.parse(plan.at);
  const created = Date.parse(plan.created_at);
  if (Number.isFinite(at) && Number.isFinite(created) && Math.abs(at - created) <= WHAT_IF_TOLERANCE_MS) return;
  throw new PoolformError(
    'saved-plan-what-if',
    `this plan was decided for ${plan.at} (plan --at), not for when it was made (${plan.created_at}); a what-if plan is never applied. Run poolform plan -out FILE without --at.`,
  );
}

/** Throws PoolformError `saved-plan-stale` when the state is no longer the one the plan was made against. */
export function assertNotStale(plan: Pick<Plan, 'lineage' | 'serial'>, current: StateMeta): void {
  if (plan.lineage !== current.lineage) {
    throw new PoolformError(
      'saved-plan-stale',
      `Saved plan is stale: it was made for state lineage ${plan.lineage}, but the state's lineage is ${current.lineage}. Run poolform plan again.`,
    );
  }
  if (plan.serial !== current.serial) {
    throw new PoolformError(
      'saved-plan-stale',
      `Saved plan is stale: the state changed since it was made (serial ${plan.serial} → ${current.serial}). Run poolform plan again.`,
    );
  }
}
