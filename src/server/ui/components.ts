// Small building blocks of the web page's markup: times, badges, sortable
// tables and the capacity chart. Everything goes through `html`, so values
// are escaped; ids are generated, never taken from data.
import type { SafeHtml } from './html.ts';
import { html, raw } from './html.ts';
import type { CapacityPoint } from './capacity-series.ts';

/** A time the script shows in the viewer's zone; without script, UTC. */
export function time(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">never</span>`;
  const shown = iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return html`<time datetime="${iso}">${shown}</time>`;
}

const STATUS_CLASS: Record<string, string> = {
  running: 'ok',
  ok: 'ok',
  applied: 'ok',
  active: 'ok',
  starting: 'busy',
  provisioning: 'busy',
  queued: 'busy',
  draining: 'warn',
  destroying: 'warn',
  hold: 'warn',
  held: 'warn',
  skipped: 'warn',
  inactive: 'off',
  failed: 'bad',
  error: 'bad',
};

/** A status word in a badge (the word itself is the information; colour only repeats it). */
export function badge(status: string): SafeHtml {
  return html`<span class="badge ${STATUS_CLASS[status] ?? 'off'}">${status}</span>`;
}

export interface Column<T> {
  label: string;
  cell: (row: T) => SafeHtml | string | number | null;
  /** Sort key when the shown text does not sort well (numbers, times). */
  sortValue?: (row: T) => string | number | null;
  numeric?: boolean;
}

/** A table whose column headers are sort buttons (ui.js); `filterable` rows are matched by the page's filter box. */
export function table<T>(
  id: string,
  caption: string,
  columns: Column<T>[],
  rows: readonly T[],
  options: { filterable?: boolean; empty?: string } = {},
): SafeHtml {
  if (rows.length === 0) return html`<p class="empty" id="${id}">${options.empty ?? `No ${caption.toLowerCase()}.`}</p>`;
  const head = columns.map(
    (c, i) => html`<th scope="col"${raw(c.numeric ? ' class="num"' : '')}><button type="button" class="sort" data-sort="${i}">${c.label}</button></th>`,
  );
  const body = rows.map(
    (r) =>
      html`<tr>${columns.map((c) => {
        const v = c.sortValue?.(r);
        const attr = v === undefined || v === null ? '' : html` data-value="${String(v)}"`;
        return html`<td${attr}${raw(c.numeric ? ' class="num"' : '')}>${c.cell(r)}</td>`;
      })}</tr>`,
  );
  return html`<div class="table-wrap" role="region" aria-labelledby="${id}-caption" tabindex="0"><table id="${id}" class="sortable${raw(options.filterable ? ' filterable' : '')}"><caption id="${id}-caption">${caption}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** Sessions and servers over 24 h as a small inline SVG line chart. */
export function capacityChart(pool: string, points: readonly CapacityPoint[]): SafeHtml {
  if (points.length < 2) return html`<p class="muted">No capacity data.</p>`;
  const w = 240;
  const h = 60;
  const max = Math.max(1, ...points.map((p) => Math.max(p.sessions, p.servers)));
  const x = (i: number) => ((i / (points.length - 1)) * w).toFixed(1);
  const y = (v: number) => (h - 4 - (v / max) * (h - 8)).toFixed(1);
  const line = (pick: (p: CapacityPoint) => number) => points.map((p, i) => `${x(i)},${y(pick(p))}`).join(' ');
  const lastPoint = points[points.length - 1];
  const now = lastPoint ? `${lastPoint.sessions} sessions and ${lastPoint.servers} servers now` : '';
  const label = `${pool}: sessions and servers over the last 24 hours (peak ${max}); ${now}`;
  return html`<figure class="chart"><svg viewBox="0 0 ${w} ${h}" width="100%" height="${h}" preserveAspectRatio="none" role="img" aria-label="${label}"><title>${label}</title><line x1="0" y1="${h - 4}" x2="${w}" y2="${h - 4}" stroke="#767676" stroke-width="1"/><polyline points="${line((p) => p.servers)}" fill="none" stroke="#8a4b00" stroke-width="2" vector-effect="non-scaling-stroke"/><polyline points="${line((p) => p.sessions)}" fill="none" stroke="#0b5cad" stroke-width="2" vector-effect="non-scaling-stroke"/></svg><figcaption><span class="key sessions">sessions</span> <span class="key servers">servers</span> · last 24 h, peak ${max}</figcaption></figure>`;
}
