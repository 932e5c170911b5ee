// Renders a Plan as text, Terraform-style: `+` create, `-` destroy, `~`
// update, `-/+` replace, each with its reason; secrets as `(sensitive)`; a
// drift section for what changed outside poolform; the summary line
// `Plan: N to add, N to change, N to destroy.` or `No changes.`.
import type { JsonObject, JsonValue } from '../model/json.ts';
import { jsonEqual } from './json-attrs.ts';
import { redactNullable } from './redact.ts';
import { displaySafe } from '../util/display-safe.ts';
import type { ChangeAction, DriftEntry, Plan, ResourceChange } from './types.ts';
import { KNOWN_AFTER_APPLY, SENSITIVE, summarize } from './types.ts';

export const SYMBOLS: Record<ChangeAction, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };

/** One value as shown: strings quoted, markers bare, objects as compact JSON. */
export function formatValue(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (value === SENSITIVE || value === KNOWN_AFTER_APPLY) return value;
  return JSON.stringify(value);
}

/** ` ("Friendly name")` of a fixed server or agent, for the headline; empty when it has none. */
function friendlyLabel(c: ResourceChange): string {
  const name = (c.after ?? c.before)?.['friendly_name'];
  return typeof name === 'string' && name !== '' ? ` (${JSON.stringify(displaySafe(name))})` : '';
}

function isAdopt(c: ResourceChange): boolean {
  return c.action === 'update' && c.before === null;
}

function headline(c: ResourceChange): string {
  switch (c.action) {
    case 'create':
      return 'will be created';
    case 'update':
      return isAdopt(c) ? 'will be adopted into state' : 'will be updated in-place';
    case 'replace':
      return 'must be replaced';
    case 'delete':
      return c.observed_gone ? 'will be removed from state (already gone at the provider)' : 'will be destroyed';
    default: {
      const never: never = c.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}

interface AttrLine {
  sign: string;
  key: string;
  text: string;
}

function attrLines(before: JsonObject | null, after: JsonObject | null, mode: 'all-after' | 'all-before' | 'diff'): AttrLine[] {
  const lines: AttrLine[] = [];
  if (mode === 'all-after' && after) {
    for (const key of Object.keys(after).sort()) {
      if (after[key] === null || after[key] === undefined) continue;
      lines.push({ sign: '+', key, text: formatValue(after[key]) });
    }
  } else if (mode === 'all-before' && before) {
    for (const key of Object.keys(before).sort()) {
      if (before[key] === null || before[key] === undefined) continue;
      lines.push({ sign: '-', key, text: formatValue(before[key]) });
    }
  } else {
    const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
    for (const key of keys) {
      const b = before?.[key] ?? null;
      const a = after?.[key] ?? null;
      if (jsonEqual(b, a)) continue;
      if (b === null) lines.push({ sign: '+', key, text: formatValue(a) });
      else if (a === null) lines.push({ sign: '-', key, text: `${formatValue(b)} -> null` });
      else lines.push({ sign: '~', key, text: `${formatValue(b)} -> ${formatValue(a)}` });
    }
  }
  return lines;
}

function block(symbol: string, address: string, lines: AttrLine[], hidden: number): string[] {
  const out: string[] = [];
  const pad = ' '.repeat(Math.max(0, 3 - symbol.length));
  out.push(`${pad}${symbol} ${address} {`);
  const width = Math.max(0, ...lines.map((l) => l.key.length));
  for (const l of lines) out.push(`      ${l.sign} ${l.key.padEnd(width)} = ${l.text}`);
  if (hidden > 0) out.push(`        # (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`);
  out.push('    }');
  return out;
}

export function renderChange(c: ResourceChange): string[] {
  const before = redactNullable(c.before);
  const after = redactNullable(c.after);
  let lines: AttrLine[];
  let hidden = 0;
  switch (c.action) {
    case 'create':
    case 'replace':
      // A replacement is a new resource: show what it will be.
      lines = attrLines(null, after, 'all-after');
      break;
    case 'delete':
      lines = attrLines(before, null, 'all-before');
      break;
    case 'update':
      if (before === null) {
        lines = attrLines(null, after, 'all-after');
      } else {
        lines = attrLines(before, after, 'diff');
        const keys = new Set([...Object.keys(before), ...Object.keys(after ?? {})]);
        hidden = keys.size - lines.length;
      }
      break;
    default: {
      const never: never = c.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
  return [`  # ${c.address}${friendlyLabel(c)} ${headline(c)}`, `  # (${c.reason})`, ...block(SYMBOLS[c.action], c.address, lines, hidden)];
}

function renderDrift(d: DriftEntry): string[] {
  const before = redactNullable(d.before);
  const after = redactNullable(d.after);
  const gone = after === null;
  const lines = gone ? attrLines(before, null, 'all-before') : attrLines(before, after, 'diff');
  return [`  # ${d.address} ${gone ? 'has been deleted' : 'has changed'}`, `  # (${d.reason})`, ...block(gone ? '-' : '~', d.address, lines, 0)];
}

/** The summary line alone. */
export function summaryLine(plan: Pick<Plan, 'changes' | 'fatal_errors'> & { errors?: readonly string[] }): string {
  if (plan.changes.length === 0) {
    // Never claim the pools match when something could not be observed or computed.
    if ((plan.fatal_errors?.length ?? 0) > 0) return 'No changes. But the plan has errors (above): fix them and plan again.';
    if ((plan.errors?.length ?? 0) > 0)
      return 'No changes. But parts of the plan could not be computed (warnings above): the pools may not match the configuration.';
    return 'No changes. Your pools match the configuration.';
  }
  const s = summarize(plan);
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`;
}

export function renderPlanText(plan: Plan): string {
  const out: string[] = [];
  out.push(`Decisions for ${plan.at} (state lineage ${plan.lineage}, serial ${plan.serial}).`, '');

  if (plan.drift.length > 0) {
    out.push('Note: Objects have changed outside poolform', '');
    out.push('poolform detected the following changes made outside poolform since the last apply:', '');
    for (const d of plan.drift) out.push(...renderDrift(d), '');
  }

  if (plan.changes.length > 0) {
    out.push('poolform will perform the following actions:', '');
    for (const c of plan.changes) out.push(...renderChange(c), '');
  }

  if (plan.held.length > 0) {
    out.push('Held by the apply policy (run `poolform apply` to carry them out):', '');
    for (const c of plan.held) out.push(`  ${SYMBOLS[c.action]} ${c.address} (${c.reason})`);
    out.push('');
  }

  const holds = plan.decisions.filter((d) => d.action === 'hold');
  if (holds.length > 0) {
    out.push('The autoscaler is holding:', '');
    for (const d of holds) out.push(`  ${d.pool}/${d.autoscale}${d.server_id ? ` ${d.server_id}` : ''}: ${d.reason}`);
    out.push('');
  }

  if (plan.prewarm && plan.prewarm.length > 0) {
    out.push('Pre-warming (prewarm) ahead of rising schedule targets:', '');
    for (const line of plan.prewarm) out.push(`  ${line}`);
    out.push('');
  }

  if (plan.cleanup && plan.cleanup.length > 0) {
    out.push('State housekeeping apply will also do (after an interrupted apply):', '');
    for (const c of plan.cleanup) out.push(`  ${c.kind === 'intent' ? `discard intent ${c.id}` : `remove server record ${c.id}`} (${c.address}): ${c.reason}`);
    out.push('');
  }

  if (plan.waiting && plan.waiting.length > 0) {
    out.push('Waiting (nothing is planned for these yet):', '');
    for (const w of plan.waiting) out.push(`  - ${w}`);
    out.push('');
  }

  const fatal = new Set(plan.fatal_errors ?? []);
  const warnings = plan.errors.filter((e) => !fatal.has(e));
  if (warnings.length > 0) {
    out.push('Warnings (parts of the plan could not be computed, or will fail):', '');
    for (const e of warnings) out.push(`  - ${e}`);
    out.push('');
  }
  // With its code when the planner typed it (`Error [dns-zone-missing]: ...`), so output can be searched by code.
  const codeOf = new Map((plan.diagnostics ?? []).map((d) => [d.message, d.code]));
  for (const e of fatal) out.push(`Error${codeOf.has(e) ? ` [${codeOf.get(e) ?? ''}]` : ''}: ${e}`, '');

  out.push(summaryLine(plan));
  return `${out.join('\n')}\n`;
}
