// Budgets of a config load: how much YAML poolform reads, parses and checks.
// Every load (validate, plan, apply, serve's reloads) runs within them, so no
// input can exhaust memory or take super-linear time. Going over a budget is a
// `config-too-large` diagnostic that names the budget, never an abort.
//
// Two values per budget:
// - the default, used unless Settings.config_limits raises (or lowers) it;
// - the ceiling, the most Settings may ask for. Files are read and parsed
//   against the ceilings (Settings is not known before its file is parsed);
//   the ceilings keep the peak memory of a load under 1 GiB. Once Settings is
//   known, the effective budgets are applied to what was read.
import type { Diagnostic } from './model.ts';
import type { Settings } from '../generated/config.ts';

export interface ConfigBudgets {
  /** Bytes of one YAML file. */
  maxFileBytes: number;
  /** Bytes of all YAML files together. */
  maxTotalBytes: number;
  /** YAML nodes (scalars and collections, keys included, every alias counted as the size of what it expands to) of all files together. */
  maxYamlNodes: number;
  /** Nesting depth of collections in one document. */
  maxDepth: number;
  /** Entries of one mapping. */
  maxKeysPerMapping: number;
  /** Schedules of one autoscale config. */
  maxSchedules: number;
  /** Bytes of one startup script (template). */
  maxTemplateBytes: number;
}

export type BudgetName = keyof ConfigBudgets;

/** The Settings.config_limits field of each budget. */
export const BUDGET_SETTING: Readonly<Record<BudgetName, string>> = {
  maxFileBytes: 'max_file_bytes',
  maxTotalBytes: 'max_total_bytes',
  maxYamlNodes: 'max_yaml_nodes',
  maxDepth: 'max_depth',
  maxKeysPerMapping: 'max_keys_per_mapping',
  maxSchedules: 'max_schedules',
  maxTemplateBytes: 'max_template_bytes',
};

const MIB = 1024 * 1024;

export const DEFAULT_BUDGETS: Readonly<ConfigBudgets> = {
  maxFileBytes: 16 * MIB,
  maxTotalBytes: 16 * MIB,
  maxYamlNodes: 300_000,
  maxDepth: 64,
  maxKeysPerMapping: 10_000,
  maxSchedules: 1_000,
  maxTemplateBytes: 1 * MIB,
};

/**
 * The most Settings may raise each budget to (also the schema maximum). A
 * YAML node costs about 1 KB of memory while parsed, so the node ceiling is
 * what holds a load under 1 GiB; bytes alone cannot (16 MB of `[1,1,...]` is
 * 8 million nodes).
 */
export const BUDGET_CEILINGS: Readonly<ConfigBudgets> = {
  maxFileBytes: 32 * MIB,
  maxTotalBytes: 64 * MIB,
  maxYamlNodes: 500_000,
  maxDepth: 512,
  maxKeysPerMapping: 100_000,
  maxSchedules: 100_000,
  maxTemplateBytes: 16 * MIB,
};

/**
 * Alias nodes per document. Not settable: the yaml library resolves each alias
 * by scanning the aliases before it (quadratic), and no real config needs
 * thousands of aliases.
 */
export const MAX_ALIASES_PER_DOCUMENT = 10_000;

type Limits = Partial<Record<string, unknown>>;

/** The effective budgets: Settings.config_limits over the defaults, each clamped to its ceiling. */
export function budgetsFromSettings(settings: Settings | undefined): ConfigBudgets {
  const limits = ((settings as Record<string, unknown> | undefined)?.['config_limits'] ?? {}) as Limits;
  const out = { ...DEFAULT_BUDGETS };
  for (const name of Object.keys(BUDGET_SETTING) as BudgetName[]) {
    const v = limits[BUDGET_SETTING[name]];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[name] = Math.min(v, BUDGET_CEILINGS[name]);
  }
  return out;
}

/** `16 MiB`, `300,000 nodes`: a budget's value in words. */
export function describeBudget(name: BudgetName, value: number): string {
  switch (name) {
    case 'maxFileBytes':
    case 'maxTotalBytes':
    case 'maxTemplateBytes':
      return value >= MIB && value % MIB === 0 ? `${value / MIB} MiB` : `${value.toLocaleString('en-US')} bytes`;
    case 'maxYamlNodes':
      return `${value.toLocaleString('en-US')} YAML nodes`;
    case 'maxDepth':
      return `${value.toLocaleString('en-US')} levels of nesting`;
    case 'maxKeysPerMapping':
      return `${value.toLocaleString('en-US')} keys in one mapping`;
    case 'maxSchedules':
      return `${value.toLocaleString('en-US')} schedules`;
    default: {
      const never: never = name;
      return String(never);
    }
  }
}

/**
 * How to get more: raise the Settings field, or, at the ceiling, split or
 * shrink the configuration.
 */
export function budgetAdvice(name: BudgetName, limit: number): string {
  const field = `Settings.config_limits.${BUDGET_SETTING[name]}`;
  if (limit >= BUDGET_CEILINGS[name]) return `${field} is at its maximum (${BUDGET_CEILINGS[name].toLocaleString('en-US')})`;
  return `raise ${field} (default ${DEFAULT_BUDGETS[name].toLocaleString('en-US')}, at most ${BUDGET_CEILINGS[name].toLocaleString('en-US')}) if this is intended`;
}

/** The message of a `config-too-large` diagnostic. */
export function overBudgetMessage(name: BudgetName, limit: number, what: string): string {
  return `${what}: over the budget of ${describeBudget(name, limit)} (${BUDGET_SETTING[name]}); ${budgetAdvice(name, limit)}`;
}

/** A `config-too-large` diagnostic naming the budget. `what` says what went over, e.g. "this mapping has 12,000 keys". */
export function overBudget(name: BudgetName, limit: number, what: string, at: { file: string; line: number; column: number; path?: string }): Diagnostic {
  return {
    severity: 'error',
    code: 'config-too-large',
    message: overBudgetMessage(name, limit, what),
    file: at.file,
    line: at.line,
    column: at.column,
    path: at.path ?? '',
  };
}
