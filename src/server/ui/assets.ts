// The web page's stylesheet and script, served by `serve` itself from
// /ui/assets/ (no CDN, nothing fetched at run time, nothing extra at build
// time: they are plain strings of this module). They have no backticks, backslashes
// or template placeholders, so a template literal holds them verbatim.

export const UI_CSS = `/* poolform web page: plain CSS, no framework. Contrast ≥ 4.5:1 for text. */
:root { --fg: #1b1f24; --muted: #4a5260; --bg: #f6f7f9; --card: #fff; --line: #d0d5dd; --accent: #0b5cad; --ok: #1a6b2f; --busy: #0b5cad; --warn: #8a4b00; --bad: #a4161a; --off: #4a5260; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, [tabindex]:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
code { font: 13px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: 8px; z-index: 10; }
.skip:focus { left: 8px; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 10px 16px; background: #14213d; color: #fff; }
.top .brand { font-weight: 700; letter-spacing: .02em; }
.top nav { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.top nav a { color: #fff; text-decoration: none; padding: 4px 2px; border-bottom: 2px solid transparent; }
.top nav a[aria-current="page"] { border-bottom-color: #f0a500; font-weight: 600; }
.top .signout { margin-left: auto; display: flex; align-items: center; gap: 8px; }
.top .signout .muted { color: #d6dbe4; }
button { font: inherit; padding: 6px 12px; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
.top button { background: transparent; border-color: #d6dbe4; }
main { padding: 12px 16px 32px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 8px 0 12px; }
h2 { font-size: 1.15rem; margin: 0 0 4px; }
h3 { font-size: 1rem; margin: 12px 0 4px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.cards.wide { grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }
.cards > *, .charts > * { min-width: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin-bottom: 12px; }
.summary dl, dl.counts, dl.details { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 6px 12px; margin: 0 0 12px; }
dl.details { grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
dl div { min-width: 0; }
.summary .span2 { grid-column: span 2; }
.trigger { font-weight: 400; }
dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.summary { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin-bottom: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; background: #fff; }
.badge.ok { color: var(--ok); } .badge.busy { color: var(--busy); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); } .badge.off { color: var(--off); }
ul.reasons, ul.plain { margin: 4px 0; padding-left: 18px; }
ul.reasons li { margin: 2px 0; overflow-wrap: anywhere; }
details summary { cursor: pointer; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { text-align: left; font-weight: 700; padding: 8px 10px; }
th, td { text-align: left; padding: 6px 10px; border-top: 1px solid var(--line); vertical-align: top; }
th.num, td.num { text-align: right; }
th button.sort { background: none; border: 0; color: var(--fg); font-weight: 700; padding: 0; }
th[aria-sort="ascending"] button.sort::after { content: " ▲"; }
th[aria-sort="descending"] button.sort::after { content: " ▼"; }
tr[hidden] { display: none; }
.filter { display: flex; align-items: center; gap: 8px; margin: 0 0 8px; }
.filter input, .login-form input { font: inherit; padding: 6px 8px; border: 1px solid #6b7280; border-radius: 4px; min-width: 0; width: 100%; max-width: 360px; }
.empty { color: var(--muted); font-style: italic; }
.error { color: var(--bad); font-weight: 600; }
.notice { color: var(--fg); background: #fff7e0; border: 1px solid #d9a400; padding: 6px 10px; border-radius: 4px; }
.timeline { margin: 8px 0; }
.timeline figcaption { font-weight: 600; margin-bottom: 2px; }
.timeline .day { display: grid; grid-template-columns: 110px 1fr; align-items: center; gap: 6px; }
.timeline .track { width: 100%; height: 14px; display: block; }
.timeline .hours { display: flex; justify-content: space-between; margin-left: 116px; font-size: 11px; color: var(--muted); }
abbr.dst { font-size: 11px; font-weight: 700; color: var(--warn); text-decoration: none; border: 1px solid currentColor; border-radius: 3px; padding: 0 3px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.chart { margin: 0; }
.chart figcaption { font-size: 12px; color: var(--muted); }
.key::before { content: ""; display: inline-block; width: 12px; height: 3px; margin-right: 4px; vertical-align: middle; }
.key.sessions::before { background: #0b5cad; } .key.servers::before { background: #8a4b00; }
.updated { font-size: 12px; }
body.login main { max-width: 480px; margin-top: 8vh; }
.login-form { display: grid; gap: 8px; margin: 16px 0; }
.login-form input { max-width: none; }
@media (max-width: 640px) {
  .summary .span2 { grid-column: auto; }
  body { font-size: 14px; }
  main { padding: 8px 10px 24px; }
  .cards, .cards.wide { grid-template-columns: 1fr; }
  .top .signout { margin-left: 0; width: 100%; justify-content: space-between; }
  .timeline .day { grid-template-columns: 84px 1fr; }
  .timeline .hours { margin-left: 90px; }
  th, td { padding: 5px 6px; }
}
`;

export const UI_JS = `// poolform web page: refreshes the live part of the page every few seconds
// from /ui/api/view (JSON carrying server-rendered, escaped markup), shows
// times in the viewer's zone, sorts and filters tables. No framework.
(() => {
  'use strict';
  const live = document.getElementById('live');
  if (!live) return;
  const updated = document.getElementById('updated');
  const filter = document.getElementById('filter');
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  // The viewer's zone for the next full page load (schedules in your zone without waiting for a refresh).
  if (tz) document.cookie = 'poolform_tz=' + encodeURIComponent(tz) + '; path=/ui; SameSite=Strict';
  const sorts = {};
  let busy = false;

  function localTimes(root) {
    for (const t of root.querySelectorAll('time[datetime]')) {
      const d = new Date(t.getAttribute('datetime'));
      if (Number.isNaN(d.getTime())) continue;
      t.title = t.getAttribute('datetime');
      t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    }
  }
  function cellKey(row, col) {
    const cell = row.cells[col];
    if (!cell) return '';
    const v = cell.getAttribute('data-value');
    return v !== null ? v : cell.textContent.trim().toLowerCase();
  }
  function applySort(table) {
    const s = sorts[table.id];
    if (!s) return;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const numeric = rows.every((r) => { const k = cellKey(r, s.col); return k === '' || !Number.isNaN(Number(k)); });
    rows.sort((a, b) => {
      const x = cellKey(a, s.col);
      const y = cellKey(b, s.col);
      const c = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
      return s.dir === 'ascending' ? c : -c;
    });
    for (const r of rows) body.appendChild(r);
    for (const th of table.tHead.rows[0].cells) th.removeAttribute('aria-sort');
    const th = table.tHead.rows[0].cells[s.col];
    if (th) th.setAttribute('aria-sort', s.dir);
  }
  function applyFilter() {
    const q = filter ? filter.value.trim().toLowerCase() : '';
    for (const table of live.querySelectorAll('table.filterable')) {
      for (const r of table.tBodies[0].rows) r.hidden = q !== '' && !r.textContent.toLowerCase().includes(q);
    }
  }
  function enhance() {
    localTimes(live);
    for (const table of live.querySelectorAll('table.sortable')) applySort(table);
    applyFilter();
  }
  function focusKey(el) {
    if (!el || !live.contains(el)) return null;
    if (el.dataset.sort !== undefined) { const t = el.closest('table'); return '[data-sort-key="' + (t ? t.id : '') + ':' + el.dataset.sort + '"]'; }
    const href = el.getAttribute('href');
    if (href) return 'a[href="' + CSS.escape(href) + '"]';
    if (el.id) return '#' + CSS.escape(el.id);
    return null;
  }
  function markSortKeys() {
    for (const b of live.querySelectorAll('button[data-sort]')) { const t = b.closest('table'); b.setAttribute('data-sort-key', (t ? t.id : '') + ':' + b.dataset.sort); }
  }
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const q = new URLSearchParams({ view: live.dataset.view || 'overview', id: live.dataset.id || '', tz });
      const res = await fetch('/ui/api/view?' + q, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) { window.location.assign('/ui/login'); return; }
      if (!res.ok) { if (updated) updated.textContent = 'Refresh failed (HTTP ' + res.status + '); retrying.'; return; }
      const body = await res.json();
      const key = focusKey(document.activeElement);
      const open = Array.from(live.querySelectorAll('details[open][data-key]')).map((x) => x.getAttribute('data-key'));
      const y = window.scrollY;
      live.innerHTML = body.html;
      for (const x of live.querySelectorAll('details[data-key]')) if (open.includes(x.getAttribute('data-key'))) x.open = true;
      markSortKeys();
      enhance();
      if (key) { const el = live.querySelector(key); if (el) el.focus({ preventScroll: true }); }
      window.scrollTo(0, y);
      if (updated) updated.textContent = 'Updated ' + new Date(body.at).toLocaleTimeString() + ' · refreshes every 5 s';
    } catch {
      if (updated) updated.textContent = 'Refresh failed (serve not reachable); retrying.';
    } finally {
      busy = false;
    }
  }
  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-sort]') : null;
    if (!b || !live.contains(b)) return;
    const table = b.closest('table');
    if (!table || !table.id) return;
    const col = Number(b.dataset.sort);
    const cur = sorts[table.id];
    sorts[table.id] = { col, dir: cur && cur.col === col && cur.dir === 'ascending' ? 'descending' : 'ascending' };
    applySort(table);
  });
  if (filter) filter.addEventListener('input', applyFilter);
  markSortKeys();
  enhance();
  refresh();
  setInterval(refresh, 5000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
})();
`;

/** A tiny icon, so browsers do not ask for /favicon.ico (a 404 in the console). */
export const UI_FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#14213d"/><rect x="3" y="9" width="2" height="4" fill="#f0a500"/><rect x="7" y="6" width="2" height="7" fill="#f0a500"/><rect x="11" y="3" width="2" height="10" fill="#f0a500"/></svg>';
