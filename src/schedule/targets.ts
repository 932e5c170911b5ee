// The scaling target in force: what a config's schedule windows say it should
// keep available at an instant, and when that changes. Pure: instants are
// arguments, nothing reads the clock.
//
// Rules (docs/schedules-and-scaling.md):
// - disabled config: never active; no schedules: always active at the base targets;
// - otherwise active while any window is (windows.ts, DST rules of zone-time.ts);
// - an active window contributes the base targets (the autoscale config's
//   own fields) with its overrides applied; overlapping windows: per target,
//   the LARGER value wins (also for the max_instances cap: a window without a
//   cap means no extra cap, which beats any cap);
// - inactive: every target is 0 (nothing is kept; idle servers are removed).
// The value of a target is a step function of time: it changes only where
// some window starts or ends, so `targetChanges` visits exactly those edges.
import type { AutoscaleConfig, Schedule } from '../generated/config.ts';
import type { CompiledSchedule, Window } from './windows.ts';
import { compileSchedule, scheduleContains, windowOnDay } from './windows.ts';
import { DAY_MS, localDay } from './zone-time.ts';
import { linkChains } from './chaining.ts';

/** The scaling targets of one autoscale config. */
export interface Targets {
  minimum_available_sessions: number;
  standby_cores: number;
  standby_memory_mb: number;
  standby_gpus: number;
  /** num_sessions per staging config name (the staging configs using this autoscale config). */
  staging: Record<string, number>;
  /** A cap on this config's servers below the provider's max_instances; null: none. */
  max_instances: number | null;
}

export type TargetField = 'minimum_available_sessions' | 'standby_cores' | 'standby_memory_mb' | 'standby_gpus' | 'max_instances';
const NUMERIC: readonly Exclude<TargetField, 'max_instances'>[] = ['minimum_available_sessions', 'standby_cores', 'standby_memory_mb', 'standby_gpus'];

/** A target and the window whose override set it (absent: the config's own value). */
export interface TargetInForce {
  active: boolean;
  targets: Targets;
  /** Per overridden target (staging as `staging:<name>`): the window that set it, e.g. "mon-fri 07:30–09:30 Europe/Berlin". */
  windows: Record<string, string>;
}

/** A change of the target in force: from `at` (ISO, inclusive) on. */
export interface TargetChange extends TargetInForce {
  at: string;
}

/** What the target functions read from an autoscale config. */
export type TargetConfig = Pick<
  AutoscaleConfig,
  'enabled' | 'schedules' | 'minimum_available_sessions' | 'standby_cores' | 'standby_memory_mb' | 'standby_gpus'
>;

/** The config's own targets; `staging`: num_sessions of the staging configs that use it. */
export function baseTargets(autoscale: TargetConfig, staging: Readonly<Record<string, number>> = {}): Targets {
  return {
    minimum_available_sessions: Math.max(0, autoscale.minimum_available_sessions ?? 0),
    standby_cores: Math.max(0, autoscale.standby_cores ?? 0),
    standby_memory_mb: Math.max(0, autoscale.standby_memory_mb ?? 0),
    standby_gpus: Math.max(0, autoscale.standby_gpus ?? 0),
    staging: { ...staging },
    max_instances: null,
  };
}

/** Targets of an inactive config: nothing is kept. */
export function inactiveTargets(base: Targets): Targets {
  const staging: Record<string, number> = {};
  for (const name of Object.keys(base.staging)) staging[name] = 0;
  return { minimum_available_sessions: 0, standby_cores: 0, standby_memory_mb: 0, standby_gpus: 0, staging, max_instances: null };
}

const DAY_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "mon-fri", "mon,wed,fri", "sat-sun" (runs of three or more days become ranges). */
export function describeDays(days: readonly string[]): string {
  const idx = [...new Set(days.map((d) => DAY_ORDER.indexOf(d.toLowerCase().slice(0, 3))).filter((i) => i >= 0))].sort((a, b) => a - b);
  if (idx.length === 7) return 'daily';
  const parts: string[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === (idx[j] ?? 0) + 1) j++;
    const first = DAY_ORDER[idx[i] ?? 0] ?? '';
    const last = DAY_ORDER[idx[j] ?? 0] ?? '';
    if (j - i >= 2) parts.push(`${first}-${last}`);
    else for (let k = i; k <= j; k++) parts.push(DAY_ORDER[idx[k] ?? 0] ?? '');
    i = j + 1;
  }
  return parts.join(',') || '(no days)';
}

/** "mon-fri 07:30–09:30 Europe/Berlin" */
export function describeWindow(s: Pick<Schedule, 'days' | 'start' | 'end' | 'timezone'>): string {
  return `${describeDays(s.days)} ${s.start}–${s.end} ${s.timezone}`;
}

/** A compiled schedule with its targets while active. */
interface TargetWindow {
  compiled: CompiledSchedule;
  label: string;
  targets: Targets;
  overrides: Set<string>;
}

type Compiled = { kind: 'never'; base: Targets } | { kind: 'always'; base: Targets } | { kind: 'scheduled'; base: Targets; windows: TargetWindow[] };

function windowTargets(base: Targets, s: Schedule): { targets: Targets; overrides: Set<string> } {
  const targets: Targets = { ...base, staging: { ...base.staging } };
  const overrides = new Set<string>();
  for (const field of NUMERIC) {
    const value = s[field];
    if (value !== undefined) {
      targets[field] = Math.max(0, value);
      overrides.add(field);
    }
  }
  if (s.max_instances !== undefined) {
    targets.max_instances = Math.max(0, s.max_instances);
    overrides.add('max_instances');
  }
  // num_sessions: every staging config of this autoscale config; a name in staging_num_sessions wins over it.
  if (s.num_sessions !== undefined) {
    for (const name of Object.keys(base.staging)) {
      targets.staging[name] = Math.max(0, s.num_sessions);
      overrides.add(`staging:${name}`);
    }
  }
  for (const [name, value] of Object.entries(s.staging_num_sessions ?? {})) {
    if (value === undefined || !(name in base.staging)) continue; // validate rejects unknown names
    targets.staging[name] = Math.max(0, value);
    overrides.add(`staging:${name}`);
  }
  return { targets, overrides };
}

// Compiled per call (cheap: zones are cached in zone-time.ts); configs built in code may be mutated between calls.
function compile(config: TargetConfig, staging: Readonly<Record<string, number>>): Compiled {
  const base = baseTargets(config, staging);
  let compiled: Compiled;
  if (config.enabled === false) compiled = { kind: 'never', base };
  else if ((config.schedules ?? []).length === 0) compiled = { kind: 'always', base };
  else
    compiled = {
      kind: 'scheduled',
      base,
      // Upstream 23:59 → 00:00 chains run to midnight, as in isActive (chaining.ts).
      windows: linkChains(
        (config.schedules ?? []).map(compileSchedule),
        (config.schedules ?? []).map((s) => s.timezone),
      ).map((compiled, i) => {
        const s = (config.schedules ?? [])[i] as Schedule;
        return { compiled, label: describeWindow(s), ...windowTargets(base, s) };
      }),
    };
  return compiled;
}

/**
 * Per target the larger value wins; `windows` names the window that gave a
 * winning override (ties: the first window in config order). A cap of null
 * (no cap) is larger than any number.
 */
export function combineTargets(base: Targets, active: readonly { label: string; targets: Targets; overrides: ReadonlySet<string> }[]): TargetInForce {
  if (active.length === 0) return { active: false, targets: inactiveTargets(base), windows: {} };
  const first = active[0];
  if (!first) return { active: false, targets: inactiveTargets(base), windows: {} };
  const targets: Targets = { ...first.targets, staging: { ...first.targets.staging } };
  const windows: Record<string, string> = {};
  const from = (w: (typeof active)[number], key: string): void => {
    if (w.overrides.has(key)) windows[key] = w.label;
    else delete windows[key];
  };
  for (const key of [...NUMERIC, 'max_instances', ...Object.keys(first.targets.staging).map((n) => `staging:${n}`)]) from(first, key);
  for (const w of active.slice(1)) {
    for (const field of NUMERIC) {
      if (w.targets[field] > targets[field]) {
        targets[field] = w.targets[field];
        from(w, field);
      }
    }
    const cap = w.targets.max_instances;
    if (targets.max_instances !== null && (cap === null || cap > targets.max_instances)) {
      targets.max_instances = cap;
      from(w, 'max_instances');
    }
    for (const [name, n] of Object.entries(w.targets.staging)) {
      if (n > (targets.staging[name] ?? 0)) {
        targets.staging[name] = n;
        from(w, `staging:${name}`);
      }
    }
  }
  return { active: true, targets, windows };
}

/**
 * The target in force at `atMs`. `staging`: num_sessions of the staging
 * configs that use this autoscale config (docker pools; {} otherwise).
 * Throws RangeError on an invalid time zone, day or time.
 */
export function targetAt(config: TargetConfig, atMs: number, staging: Readonly<Record<string, number>> = {}): TargetInForce {
  const compiled = compile(config, staging);
  switch (compiled.kind) {
    case 'never':
      return { active: false, targets: inactiveTargets(compiled.base), windows: {} };
    case 'always':
      return { active: true, targets: { ...compiled.base, staging: { ...compiled.base.staging } }, windows: {} };
    case 'scheduled':
      return combineTargets(
        compiled.base,
        compiled.windows.filter((w) => scheduleContains(w.compiled, atMs)),
      );
    default: {
      const unreachable: never = compiled;
      return unreachable;
    }
  }
}

/** Every window of the schedule that starts before `toMs` and ends after `fromMs` (not merged). */
function windowsBetween(schedule: CompiledSchedule, fromMs: number, toMs: number): Window[] {
  const out: Window[] = [];
  const first = localDay(schedule.zone, fromMs) - 2;
  const last = localDay(schedule.zone, toMs) + 1;
  for (let day = first; day <= last; day++) {
    const w = windowOnDay(schedule, day);
    if (w && w.start < toMs && w.end > fromMs) out.push(w);
  }
  return out;
}

/** Instants in (fromMs, toMs] where some window starts or ends, ascending and distinct. */
export function edgesBetween(config: TargetConfig, fromMs: number, toMs: number): number[] {
  const compiled = compile(config, {});
  if (compiled.kind !== 'scheduled' || toMs <= fromMs) return [];
  const edges = new Set<number>();
  for (const w of compiled.windows) {
    for (const win of windowsBetween(w.compiled, fromMs, toMs + 1)) {
      if (win.start > fromMs && win.start <= toMs) edges.add(win.start);
      if (win.end > fromMs && win.end <= toMs) edges.add(win.end);
    }
  }
  return [...edges].sort((a, b) => a - b);
}

export function sameTarget(a: TargetInForce, b: TargetInForce): boolean {
  if (a.active !== b.active) return false;
  const x = a.targets;
  const y = b.targets;
  if (x.max_instances !== y.max_instances || NUMERIC.some((f) => x[f] !== y[f])) return false;
  const names = new Set([...Object.keys(x.staging), ...Object.keys(y.staging)]);
  for (const n of names) if ((x.staging[n] ?? 0) !== (y.staging[n] ?? 0)) return false;
  return true;
}

const HORIZON_MS = 14 * DAY_MS;
const GIVE_UP_MS = 400 * DAY_MS;

/**
 * The next `count` changes of the target in force strictly after `fromMs`, in
 * time order (only instants where the active flag or a target value changes;
 * the window named for a value may change without a listed change). Fewer come
 * back when nothing changes within 400 days.
 */
export function targetChanges(config: TargetConfig, fromMs: number, count: number, staging: Readonly<Record<string, number>> = {}): TargetChange[] {
  const out: TargetChange[] = [];
  if (count <= 0) return out;
  let previous = targetAt(config, fromMs, staging);
  let cursor = fromMs;
  while (out.length < count && cursor - fromMs < GIVE_UP_MS) {
    const to = cursor + HORIZON_MS;
    for (const edge of edgesBetween(config, cursor, to)) {
      const now = targetAt(config, edge, staging);
      if (!sameTarget(now, previous)) {
        out.push({ at: new Date(edge).toISOString(), ...now });
        if (out.length >= count) break;
      }
      previous = now;
    }
    cursor = to;
  }
  return out;
}

/**
 * The target to act on at `atMs` with a pre-warm lead of `leadMs`: per target
 * the larger of the target in force now and of every target coming into force
 * within (atMs, atMs + leadMs], and active when any of them is. A rising target
 * therefore applies `leadMs` before its window begins; a falling one is never
 * brought forward (the current, larger value wins until the window really ends).
 * `rising`: the earliest upcoming change that raised something, for reasons.
 */
export function prewarmedTargetAt(
  config: TargetConfig,
  atMs: number,
  leadMs: number,
  staging: Readonly<Record<string, number>> = {},
): TargetInForce & { rising: TargetChange | null } {
  const now = targetAt(config, atMs, staging);
  if (leadMs <= 0) return { ...now, rising: null };
  const compiled = compile(config, staging);
  let result: TargetInForce = now;
  let rising: TargetChange | null = null;
  for (const edge of edgesBetween(config, atMs, atMs + leadMs)) {
    const later = targetAt(config, edge, staging);
    const merged = combineTargets(compiled.base, [
      ...(result.active ? [{ label: '', targets: result.targets, overrides: new Set<string>() }] : []),
      ...(later.active ? [{ label: '', targets: later.targets, overrides: new Set<string>() }] : []),
    ]);
    if (!sameTarget(merged, result)) {
      rising ??= { at: new Date(edge).toISOString(), ...later };
      // Keep the window names: from the current target where it still wins, else from the later one.
      const windows: Record<string, string> = {};
      for (const key of Object.keys({ ...result.windows, ...later.windows })) {
        const fromLater = later.windows[key];
        const fromNow = result.windows[key];
        const winner = targetValue(merged.targets, key) === targetValue(result.targets, key) && result.active ? fromNow : fromLater;
        if (winner !== undefined) windows[key] = winner;
      }
      result = { active: merged.active, targets: merged.targets, windows };
    }
  }
  return { ...result, rising };
}

function targetValue(t: Targets, key: string): number | null {
  if (key.startsWith('staging:')) return t.staging[key.slice('staging:'.length)] ?? 0;
  return t[key as TargetField];
}
