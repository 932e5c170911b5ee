// Renders a Plan as Markdown for a pull-request comment: summary first, then
// the changes grouped by pool, destroys called out, drift and errors last.
// Secret values are already SENSITIVE in the plan; any attribute whose name
// looks secret is redacted again here, because a PR comment is public to the
// whole repository.
import { redactObject } from './redact.ts';
import type { ChangeAction, Plan, ResourceChange } from './types.ts';
import { SENSITIVE, summarize } from './types.ts';

const SYMBOL: Record<ChangeAction, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
const VERB: Record<ChangeAction, string> = { create: 'create', update: 'update', replace: 'replace', delete: 'destroy' };

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function changeLine(change: ResourceChange): string {
  return `| \`${SYMBOL[change.action]}\` ${VERB[change.action]} | \`${escapeCell(change.address)}\` | ${escapeCell(change.reason)} |`;
}

function attributesBlock(change: ResourceChange): string {
  const shown = change.action === 'delete' ? change.before : change.after;
  if (!shown) return '';
  return `\n<details><summary><code>${change.address}</code></summary>\n\n\`\`\`json\n${JSON.stringify(redactObject(shown, { strict: true }), null, 2)}\n\`\`\`\n</details>\n`;
}

export function renderPlanMarkdown(plan: Plan): string {
  const { add, change, destroy } = summarize(plan);
  const lines: string[] = ['### poolform plan', ''];
  if (plan.changes.length === 0) {
    // Never claim the pools match when something could not be observed or computed.
    if ((plan.fatal_errors?.length ?? 0) > 0) lines.push('**No changes.** But the plan has errors (below): fix them and plan again.');
    else if (plan.errors.length > 0)
      lines.push('**No changes.** But parts of the plan could not be computed (below): the pools may not match the configuration.');
    else lines.push('**No changes.** The pools match the configuration.');
  } else {
    lines.push(`**Plan: ${add} to add, ${change} to change, ${destroy} to destroy.**`);
  }
  lines.push('', `<sub>state lineage \`${plan.lineage}\`, serial ${plan.serial}; decisions for ${plan.at}</sub>`, '');

  const destroys = plan.changes.filter((c) => c.action === 'delete' || c.action === 'replace');
  if (destroys.length > 0) {
    lines.push('> [!WARNING]', `> This plan destroys ${destroys.length} resource(s):`);
    for (const c of destroys) lines.push(`> - \`${c.address}\`: ${escapeCell(c.reason)}`);
    lines.push('');
  }

  const byPool = new Map<string, ResourceChange[]>();
  for (const c of plan.changes) {
    const key = c.pool ?? '(no pool)';
    byPool.set(key, [...(byPool.get(key) ?? []), c]);
  }
  for (const [pool, changes] of [...byPool.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`#### Pool \`${pool}\``, '', '| action | address | reason |', '| --- | --- | --- |');
    for (const c of changes) lines.push(changeLine(c));
    lines.push('');
    for (const c of changes) {
      const block = attributesBlock(c);
      if (block) lines.push(block);
    }
  }

  if (plan.held.length > 0) {
    lines.push('#### Held by apply policy', '', 'These wait for an explicit `poolform apply`:', '');
    for (const c of plan.held) lines.push(`- \`${SYMBOL[c.action]}\` \`${c.address}\`: ${escapeCell(c.reason)}`);
    lines.push('');
  }
  if (plan.drift.length > 0) {
    lines.push('#### Changed outside poolform', '');
    for (const d of plan.drift) lines.push(`- \`${d.address}\`: ${escapeCell(d.reason)}`);
    lines.push('');
  }
  if (plan.waiting && plan.waiting.length > 0) {
    lines.push('#### Waiting', '');
    for (const w of plan.waiting) lines.push(`- ${escapeCell(w)}`);
    lines.push('');
  }
  if (plan.errors.length > 0) {
    lines.push('#### Errors', '');
    for (const e of plan.errors) lines.push(`- ${escapeCell(e)}`);
    lines.push('');
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
