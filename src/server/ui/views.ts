// The live part of each page, rendered from UiData (data.ts). Pure: no I/O,
// the instant and the viewer's zone come in as arguments.
import type { Config } from '../../config/model.ts';
import { autoscaleConfigs } from '../../config/model.ts';
import { transitions } from '../../schedule/active.ts';
import type { TargetInForce } from '../../schedule/targets.ts';
import { describeWindow, targetChanges } from '../../schedule/targets.ts';
import { DateTime } from 'luxon';
import type { Column } from './components.ts';
import { badge, capacityChart, table, time } from './components.ts';
import type { AuditView, PoolView, ServerView, SessionView, UiData } from './data.ts';
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import type { WeekTimeline } from './schedule-week.ts';
import { localTime, weekTimeline } from './schedule-week.ts';

function targetText(type: string | null, t: TargetInForce | null): string {
  if (t === null) return 'cannot be evaluated';
  if (!t.active) return 'inactive';
  const x = t.targets;
  const parts: string[] = [];
  if (type === 'docker_agent') {
    parts.push(`standby ${x.standby_cores} cores, ${x.standby_memory_mb} MB, ${x.standby_gpus} GPUs`);
    for (const [name, n] of Object.entries(x.staging)) parts.push(`staging ${name} ${n}`);
  } else parts.push(`minimum ${x.minimum_available_sessions} available sessions`);
  if (x.max_instances !== null) parts.push(`at most ${x.max_instances} instances`);
  return parts.join(', ');
}

function summary(d: UiData): SafeHtml {
  const r = d.last_reconcile;
  const errors = d.config.errors.length;
  return html`<section class="summary" aria-label="serve status"><dl>
<div><dt>Configuration</dt><dd>${d.config.loaded ? (errors > 0 ? html`${badge('error')} serving the last good one (${errors} error${errors === 1 ? '' : 's'})` : badge('ok')) : badge('failed')}</dd></div>
<div><dt>Apply policy</dt><dd>${d.apply_policy}</dd></div>
<div><dt>Leader</dt><dd>${d.leader ?? 'none'}</dd></div>
<div class="span2"><dt>Last reconcile</dt><dd>${r ? html`${badge(r.result)} ${time(r.finished_at)}<br><span class="muted small trigger">${r.trigger.length > 140 ? `${r.trigger.slice(0, 140)}…` : r.trigger}</span>` : 'not yet'}</dd></div>
<div><dt>Next reconcile</dt><dd>${time(d.next_reconcile_at)}</dd></div>
</dl></section>`;
}

function poolCard(p: PoolView, i: number): SafeHtml {
  const title = p.friendly_name ? html`${p.friendly_name} <span class="muted">(${p.name})</span>` : html`${p.name}`;
  const free =
    p.free_resources !== null
      ? html`<div><dt>Free on agents</dt><dd>${p.free_resources.cores} cores, ${p.free_resources.memory_mb} MB, ${p.free_resources.gpus} GPUs</dd></div>`
      : html`<div><dt>Free slots</dt><dd>${p.free_slots ?? 0}</dd></div>`;
  const wants =
    p.decisions.length + p.changes.length === 0
      ? html`<p class="muted">Nothing to change.</p>`
      : html`<ul class="reasons">${p.decisions.map((d) => html`<li>${badge(d.action)} <span class="muted">${d.autoscale}${d.server_id ? ` · ${d.server_id}` : ''}</span> ${d.reason}</li>`)}${p.changes.map((c) => html`<li>${badge(c.action)} <code>${c.address}</code> ${c.reason}</li>`)}</ul>`;
  const held =
    p.held_changes.length + p.holds.length === 0
      ? ''
      : html`<h3>Held</h3><ul class="reasons">${p.held_changes.map((c) => html`<li>${badge('held')} ${c.action} <code>${c.address}</code>: ${c.reason}</li>`)}${p.holds.map((h) => html`<li>${badge('hold')} ${h.autoscale}: ${h.reason}${h.until ? html` (until ${time(h.until)})` : ''}</li>`)}</ul>`;
  return html`<section class="card pool" aria-labelledby="pool-${i}">
<h2 id="pool-${i}">${title}</h2>
<p class="muted">${p.type ?? 'not in the configuration'}${p.in_config && !p.enabled ? ' · disabled' : ''}</p>
<dl class="counts">
<div><dt>Starting</dt><dd>${p.servers.starting}</dd></div>
<div><dt>Running</dt><dd>${p.servers.running}</dd></div>
<div><dt>Draining</dt><dd>${p.servers.draining}</dd></div>
<div><dt>Failed</dt><dd>${p.servers.failed}</dd></div>
<div><dt>Sessions</dt><dd>${p.sessions_running}</dd></div>
<div><dt>Queued</dt><dd>${p.sessions_queued}</dd></div>
${p.type === 'docker_agent' ? html`<div><dt>Staged</dt><dd>${p.sessions_staged}</dd></div>` : ''}
${free}
</dl>
${p.autoscale.length > 0 ? html`<h3>Autoscale</h3><ul class="plain">${p.autoscale.map((a) => html`<li><strong>${a.name}</strong>: ${targetText(p.type, a.target)}</li>`)}</ul>` : ''}
<h3>Wants next</h3>${wants}${held}
</section>`;
}

export function overviewView(d: UiData): SafeHtml {
  return html`${summary(d)}${d.config.errors.length > 0 ? configErrors(d) : ''}<div class="cards">${d.pools.length === 0 ? html`<p class="empty">No pools.</p>` : d.pools.map(poolCard)}</div>`;
}

const serverColumns: Column<ServerView>[] = [
  {
    label: 'Server',
    cell: (s) =>
      html`<a href="/ui/servers/${encodeURIComponent(s.id)}">${s.friendly_name ?? s.hostname ?? s.id}</a><br><span class="muted small">${s.id}</span>`,
    sortValue: (s) => s.id,
  },
  { label: 'Pool', cell: (s) => s.pool },
  { label: 'Status', cell: (s) => html`${badge(s.status)}${s.enabled ? '' : html` <span class="muted">disabled</span>`}`, sortValue: (s) => s.status },
  { label: 'Progress', cell: (s) => `${s.status_progress}%`, sortValue: (s) => s.status_progress, numeric: true },
  { label: 'Message', cell: (s) => s.status_message },
  // Docker agents are bounded by cores/memory/GPUs, not a slot count.
  {
    label: 'Sessions',
    cell: (s) => (s.capacity ? `${s.sessions} (${s.capacity.cores} cores)` : `${s.sessions}/${s.max_sessions}`),
    sortValue: (s) => s.sessions,
    numeric: true,
  },
  { label: 'Address', cell: (s) => s.ip ?? '' },
  { label: 'Checked in', cell: (s) => time(s.checked_in_at), sortValue: (s) => s.checked_in_at ?? '' },
];

const sessionColumns: Column<SessionView>[] = [
  { label: 'Session', cell: (s) => html`<code>${s.id}</code>`, sortValue: (s) => s.id },
  { label: 'Pool', cell: (s) => s.pool },
  { label: 'User', cell: (s) => s.user },
  { label: 'Status', cell: (s) => html`${badge(s.status)}${s.staged ? html` <span class="muted">staged</span>` : ''}`, sortValue: (s) => s.status },
  {
    label: 'Server',
    cell: (s) => (s.server_id ? html`<a href="/ui/servers/${encodeURIComponent(s.server_id)}">${s.server_id}</a>` : ''),
    sortValue: (s) => s.server_id ?? '',
  },
  { label: 'Workspace', cell: (s) => s.workspace ?? '' },
  { label: 'API key', cell: (s) => s.api_key ?? '' },
  { label: 'Started', cell: (s) => time(s.created_at), sortValue: (s) => s.created_at },
  { label: 'Keepalive', cell: (s) => time(s.last_keepalive_at), sortValue: (s) => s.last_keepalive_at },
];

export function serversView(d: UiData): SafeHtml {
  return html`${table('servers', 'Servers', serverColumns, d.servers, { filterable: true })}${table('sessions', 'Sessions', sessionColumns, d.sessions, { filterable: true, empty: 'No running or queued sessions.' })}`;
}

const checkinColumns: Column<AuditView>[] = [
  { label: 'At', cell: (e) => time(e.at), sortValue: (e) => e.at },
  {
    label: 'Status',
    cell: (e) => badge(typeof e.detail?.['status'] === 'string' ? e.detail['status'] : e.action),
    sortValue: (e) => String(e.detail?.['status'] ?? e.action),
  },
  {
    label: 'Progress',
    cell: (e) => (typeof e.detail?.['progress'] === 'number' ? `${e.detail['progress']}%` : ''),
    numeric: true,
    sortValue: (e) => Number(e.detail?.['progress'] ?? -1),
  },
  { label: 'Message', cell: (e) => e.reason },
];

export function serverDetailView(d: UiData, id: string): SafeHtml {
  const s = d.servers.find((x) => x.id === id);
  if (!s) return html`<p class="empty">No server ${id} (destroyed, or never known). <a href="/ui/servers">All servers</a></p>`;
  const events = d.audit.filter((e) => e.actor === `server:${s.id}` || e.address === s.address);
  const checkins = events.filter((e) => e.action === 'checkin');
  const other = events.filter((e) => e.action !== 'checkin');
  const sessions = d.sessions.filter((x) => x.server_id === s.id);
  return html`<section class="card" aria-label="server details"><dl class="details">
<div><dt>Id</dt><dd><code>${s.id}</code></dd></div>
<div><dt>Pool</dt><dd>${s.pool}${s.autoscale ? ` · autoscale ${s.autoscale}` : ' · fixed'}</dd></div>
<div><dt>Status</dt><dd>${badge(s.status)} ${s.status_progress}% ${s.status_message}${s.enabled ? '' : ' · disabled'}</dd></div>
<div><dt>Hostname</dt><dd>${s.hostname}</dd></div>
<div><dt>Address</dt><dd>${s.ip ?? 'not known yet'}${s.connection_type ? ` · ${s.connection_type}${s.connection_port ? `:${s.connection_port}` : ''}` : ''}</dd></div>
<div><dt>Resource</dt><dd><code>${s.address}</code></dd></div>
<div><dt>Sessions</dt><dd>${s.capacity ? s.sessions : `${s.sessions} of ${s.max_sessions}`}</dd></div>
${s.capacity ? html`<div><dt>Capacity</dt><dd>${s.capacity.cores} cores, ${s.capacity.memory_mb} MB, ${s.capacity.gpus} GPUs</dd></div>` : ''}
<div><dt>Created</dt><dd>${time(s.created_at)}</dd></div>
<div><dt>Last check-in</dt><dd>${time(s.checked_in_at)}</dd></div>
</dl></section>
${table('server-sessions', 'Sessions on this server', sessionColumns, sessions, { empty: 'No sessions on this server.' })}
${table('checkins', 'Check-ins', checkinColumns, checkins, { empty: 'No check-ins in the recent audit log.' })}
${table('server-events', 'Other events', auditColumns, other, { empty: 'No other events in the recent audit log.' })}`;
}

function timelineSvg(t: WeekTimeline, caption: string, idBase: string, fill: string): SafeHtml {
  const rows = t.days.map((day) => {
    const segs = day.segments.map(
      (s) =>
        html`<rect x="${(s.from * 240).toFixed(2)}" y="1" width="${Math.max(0.5, (s.to - s.from) * 240).toFixed(2)}" height="12" fill="${fill}"><title>active ${localTime(Date.parse(s.fromIso), t.zone)} – ${localTime(Date.parse(s.toIso), t.zone)}</title></rect>`,
    );
    const spoken =
      day.segments.length === 0
        ? 'inactive all day'
        : day.segments
            .map(
              (s) =>
                `active ${DateTime.fromISO(s.fromIso, { zone: t.zone }).toFormat('HH:mm')}–${s.to >= 1 ? '24:00' : DateTime.fromISO(s.toIso, { zone: t.zone }).toFormat('HH:mm')}`,
            )
            .join(', ');
    return html`<div class="day"><span class="day-label">${day.label}${day.dst ? html` <abbr class="dst" title="daylight saving change: ${day.hours}-hour day">DST</abbr>` : ''}</span><svg viewBox="0 0 240 14" preserveAspectRatio="none" class="track" role="img" aria-label="${day.label}: ${spoken}"><rect x="0" y="1" width="240" height="12" fill="#e6e9ee"/>${[6, 12, 18].map((h) => html`<line x1="${h * 10}" y1="0" x2="${h * 10}" y2="14" stroke="#8a8f98" stroke-width="0.5"/>`)}${segs}</svg></div>`;
  });
  return html`<figure class="timeline" aria-labelledby="${idBase}"><figcaption id="${idBase}">${caption}</figcaption><div class="hours" aria-hidden="true"><span>0</span><span>6</span><span>12</span><span>18</span><span>24</span></div>${rows}</figure>`;
}

export function schedulesView(config: Config | undefined, nowMs: number, viewerZone: string | null): SafeHtml {
  const refs = config ? autoscaleConfigs(config) : [];
  if (refs.length === 0) return html`<p class="empty">No autoscale configs.</p>`;
  return html`<div class="cards wide">${refs.map(({ pool, autoscale }, i) => {
    const schedules = autoscale.schedules ?? [];
    const zone = schedules[0]?.timezone ?? 'UTC';
    const disabled = autoscale.enabled === false || pool.enabled === false;
    // A disabled config is never active; its windows are still drawn (grey, "not in force") so people see what enabling it would do.
    const cfg = { ...autoscale, enabled: true };
    const notInForce = disabled ? ' (not in force: disabled)' : '';
    let body: SafeHtml;
    try {
      const week = weekTimeline(cfg, zone, nowMs);
      const fill = disabled ? '#6b7280' : '#0b5cad';
      const viewer = viewerZone && viewerZone !== zone ? weekTimeline(cfg, viewerZone, nowMs) : null;
      const next = transitions(cfg, nowMs, 6);
      const changes = targetChanges(cfg, nowMs, 4);
      const dstNote = (ms: number) => {
        const at = DateTime.fromMillis(ms, { zone });
        return at.offset !== DateTime.fromMillis(nowMs, { zone }).offset
          ? html` <abbr class="dst" title="UTC offset differs from now (daylight saving)">DST</abbr>`
          : '';
      };
      body = html`${timelineSvg(week, `This week in ${zone} (the schedule's zone)${notInForce}`, `tl-${i}-cfg`, fill)}${viewer ? timelineSvg(viewer, `This week in ${viewer.zone} (your zone)${notInForce}`, `tl-${i}-you`, fill) : ''}
${
  next.length === 0
    ? html`<p class="muted">No transitions: ${schedules.length === 0 ? `no schedules, always active${disabled ? ' once enabled' : ''}` : 'the state does not change'}.</p>`
    : html`<div class="table-wrap" role="region" aria-labelledby="tr-${i}" tabindex="0"><table><caption id="tr-${i}">Next transitions${notInForce}</caption><thead><tr><th scope="col">Becomes</th><th scope="col">${zone}</th>${viewerZone && viewerZone !== zone ? html`<th scope="col">Your zone (${viewerZone})</th>` : ''}<th scope="col">UTC</th></tr></thead><tbody>${next.map(
        (t) => {
          const ms = Date.parse(t.at);
          return html`<tr><td>${badge(t.active ? 'active' : 'inactive')}</td><td>${localTime(ms, zone)}${dstNote(ms)}</td>${viewerZone && viewerZone !== zone ? html`<td>${localTime(ms, viewerZone)}</td>` : ''}<td>${t.at}</td></tr>`;
        },
      )}</tbody></table></div>`
}
${changes.length > 0 ? html`<h3>Next target changes</h3><ul class="plain">${changes.map((c) => html`<li>${localTime(Date.parse(c.at), zone)}: ${targetText(pool.type, c)}</li>`)}</ul>` : ''}`;
    } catch (err) {
      body = html`<p class="error">The schedule cannot be evaluated: ${err instanceof Error ? err.message : String(err)}</p>`;
    }
    return html`<section class="card" aria-labelledby="sched-${i}"><h2 id="sched-${i}">${pool.name} / ${autoscale.name}</h2>
<p>${disabled ? html`${badge('inactive')} disabled · ` : ''}${schedules.length === 0 ? html`<span class="muted">No schedules: always active while enabled.</span>` : html`<span class="muted">Windows:</span> ${schedules.map((s, k) => html`${k > 0 ? '; ' : ''}${describeWindow(s)}`)}`}</p>
${body}</section>`;
  })}</div>`;
}

const auditColumns: Column<AuditView>[] = [
  { label: 'At', cell: (e) => time(e.at), sortValue: (e) => e.at },
  { label: 'Who', cell: (e) => e.actor },
  { label: 'Action', cell: (e) => badge(e.action), sortValue: (e) => e.action },
  { label: 'Address', cell: (e) => (e.address ? html`<code>${e.address}</code>` : ''), sortValue: (e) => e.address ?? '' },
  { label: 'Why', cell: (e) => e.reason },
  {
    label: 'Outcome',
    cell: (e) =>
      e.detail && typeof e.detail['status'] === 'string'
        ? html`${badge(e.detail['status'])}${typeof e.detail['message'] === 'string' ? ` ${e.detail['message']}` : ''}`
        : '',
  },
];

function configErrors(d: UiData): SafeHtml {
  return html`<section class="card errors" aria-labelledby="config-errors"><h2 id="config-errors">Configuration errors</h2><ul class="reasons">${d.config.errors.map((e) => html`<li>${e.file ? html`<code>${e.file}${e.line ? `:${e.line}` : ''}</code> ` : ''}${e.message} <span class="muted">[${e.code}]</span></li>`)}</ul></section>`;
}

type Run = UiData['recent_reconciles'][number];

const runColumns: Column<Run>[] = [
  { label: 'Started', cell: (r) => time(r.started_at), sortValue: (r) => r.started_at },
  { label: 'Trigger', cell: (r) => r.trigger },
  { label: 'Result', cell: (r) => badge(r.result), sortValue: (r) => r.result },
  { label: 'Planned', cell: (r) => r.changes, numeric: true, sortValue: (r) => r.changes },
  { label: 'Applied', cell: (r) => r.applied, numeric: true, sortValue: (r) => r.applied },
  { label: 'Failed', cell: (r) => r.failed, numeric: true, sortValue: (r) => r.failed },
  { label: 'Held', cell: (r) => r.held, numeric: true, sortValue: (r) => r.held },
  {
    label: 'What and why',
    cell: (r) =>
      r.plan.length + r.errors.length === 0
        ? r.message
        : html`<details data-key="run-${r.started_at}"><summary>${r.message}</summary><ul class="reasons">${r.plan.map((c) => html`<li>${badge(c.action)} <code>${c.address}</code> ${c.reason}</li>`)}${r.errors.map((e) => html`<li>${badge('error')} ${e}</li>`)}</ul></details>`,
  },
];

/** The recent runs (newest first) with what each changed and why. */
function recentRuns(d: UiData): SafeHtml {
  return table('runs', 'Recent reconciles (plans and applies by serve)', runColumns, d.recent_reconciles, {
    filterable: true,
    empty: 'No reconcile has run yet.',
  });
}

export function historyView(d: UiData): SafeHtml {
  const r = d.last_reconcile;
  const changes = d.audit.filter((e) => e.action !== 'checkin');
  const planRows = r?.plan ?? [];
  return html`<section class="card wide" aria-labelledby="last-run"><h2 id="last-run">Last reconcile</h2>
${
  r
    ? html`<p>${badge(r.result)} ${time(r.started_at)} · triggered by <strong>${r.trigger}</strong> · ${r.duration_ms} ms · ${r.changes} planned, ${r.applied} applied, ${r.failed} failed, ${r.held} held</p><p>${r.message}</p>
${r.errors.length > 0 ? html`<h3>Errors</h3><ul class="reasons">${r.errors.map((e) => html`<li>${badge('error')} ${e}</li>`)}</ul>` : html`<p class="muted">No reconcile errors.</p>`}
${table(
  'plan',
  'Planned changes',
  [
    { label: 'Action', cell: (c) => badge(c.action), sortValue: (c) => c.action },
    { label: 'Address', cell: (c) => html`<code>${c.address}</code>`, sortValue: (c) => c.address },
    { label: 'Why', cell: (c) => c.reason },
  ] satisfies Column<(typeof planRows)[number]>[],
  planRows,
  { empty: 'The last plan had no changes.' },
)}
${r.held_changes.length > 0 ? html`<h3>Held by apply policy ${d.apply_policy}</h3><ul class="reasons">${r.held_changes.map((c) => html`<li>${badge('held')} ${c.action} <code>${c.address}</code>: ${c.reason}</li>`)}</ul>` : ''}`
    : html`<p class="muted">No reconcile has run yet.</p>`
}</section>
${recentRuns(d)}
${d.config.errors.length > 0 ? configErrors(d) : ''}
<section class="card wide" aria-labelledby="capacity"><h2 id="capacity">Capacity, last 24 h</h2><p class="muted small">Rebuilt from stored sessions and the servers that still exist; servers destroyed in the window are not counted.</p><div class="charts">${d.pools.map((p) => html`<div><h3>${p.friendly_name ?? p.name}</h3>${capacityChart(p.name, p.capacity)}</div>`)}</div></section>
${table('audit', 'Changes, plans and applies (audit log)', auditColumns, changes, { filterable: true, empty: 'No entries in the audit log yet.' })}
${table('audit-all', 'Audit log including check-ins (newest first)', auditColumns, d.audit, { filterable: true, empty: 'The audit log is empty.' })}`;
}
