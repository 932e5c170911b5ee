// The operator web page under /ui/ (read-only): `/` redirects here; a login
// form takes an API key with the admin role and keeps a random session id in
// a cookie (HttpOnly, SameSite=Strict, Path=/ui, Secure over TLS); the key
// itself never leaves the login request. Settings.ui: false answers 404
// everywhere under /ui/ (and for `/`).
//
//   GET  /                     → /ui/
//   GET  /ui/                  overview          GET /ui/schedules   schedules
//   GET  /ui/servers           servers, sessions GET /ui/servers/:id one server
//   GET  /ui/history           plans, applies, audit, reconcile errors, capacity
//   GET  /ui/api/view          {at, html} of a page's live part (the script polls it)
//   GET  /ui/api/data          the page data as JSON
//   GET  /ui/login, POST /ui/login, POST /ui/logout
//   GET  /ui/assets/ui.css, /ui/assets/ui.js, /ui/assets/favicon.svg
//
// CSRF: every state-changing request is login/logout, the cookie is
// SameSite=Strict, and a sign-in form sent from another site is refused.
import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext } from '../context.ts';
import { matchApiKey } from '../api-keys.ts';
import { roleOf } from '../roles.ts';
import { UI_CSS, UI_FAVICON, UI_JS } from './assets.ts';
import { loadUiData } from './data.ts';
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import type { PageName } from './layout.ts';
import { loginPage, page } from './layout.ts';
import type { LoginSession, LoginSessions } from './login-sessions.ts';
import { createLoginSessions } from './login-sessions.ts';
import { validZone } from './schedule-week.ts';
import { historyView, overviewView, schedulesView, serverDetailView, serversView } from './views.ts';

export const UI_COOKIE = 'poolform_ui';
/** The viewer's time zone, set by the page's script (not a secret, not HttpOnly). */
const TZ_COOKIE = 'poolform_tz';
const MAX_LOGIN_BODY = 4096;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the login form, which the origin check refuses.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

export interface UiOptions {
  sessions?: LoginSessions;
}

const digestHex = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * Whether the browser reached us over HTTPS: serve's own TLS, or a
 * TLS-terminating proxy that says so (X-Forwarded-Proto: https). Trusting the
 * header can only add the Secure flag; a browser on plain HTTP then drops
 * the cookie, which hurts nobody but the sender of a false header.
 */
function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * Whether a form post comes from another site. Browsers say so in
 * Sec-Fetch-Site; older ones send Origin, compared by host with the Host
 * header (or X-Forwarded-Host, or our own URL), so a TLS-terminating proxy in
 * front (https outside, http inside) is no mismatch. No Origin at all: not a
 * browser form (curl, scripts), which CSRF is not about.
 */
function crossSite(c: Context): boolean {
  const site = c.req.header('Sec-Fetch-Site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = c.req.header('Origin');
  if (origin === undefined) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true; // "null" (opaque origins) and anything unparsable
  }
  const ours = [c.req.header('Host'), c.req.header('X-Forwarded-Host')?.split(',')[0]?.trim(), new URL(c.req.url).host];
  return !ours.includes(host);
}

export function registerUi(app: Hono, ctx: AppContext, options: UiOptions = {}): void {
  const sessions = options.sessions ?? createLoginSessions();
  const enabled = (): boolean => ctx.getConfig()?.settings.ui !== false;

  /** The signed-in viewer, if the session is live and its key is still an admin key with the same secret. */
  const viewer = (c: Context): LoginSession | undefined => {
    const id = getCookie(c, UI_COOKIE);
    const s = sessions.get(id, ctx.clock());
    if (!s) return undefined;
    const config = ctx.getConfig();
    const key = config ? ctx.apiKeys(config).keys.find((k) => k.name === s.keyName) : undefined;
    if (!config || !key || key.digest.toString('hex') !== s.keyDigest || roleOf(config, s.keyName) !== 'admin') {
      sessions.delete(s.id);
      return undefined;
    }
    return s;
  };

  const send = (c: Context, body: SafeHtml | string, status: 200 | 400 | 401 | 403 | 404 | 413 | 503 = 200, extra: Record<string, string> = {}) =>
    c.body(String(body), status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS, ...extra });

  const notFound = (c: Context) =>
    c.json({ error: 'not_found', message: `no such endpoint: ${c.req.method} ${c.req.path} (the web page is off: Settings.ui is false)` }, 404);

  app.use('/ui/*', async (c, next) => {
    if (!enabled()) return notFound(c);
    await next();
  });
  app.use('/ui/*', bodyLimit({ maxSize: MAX_LOGIN_BODY, onError: (c) => send(c, loginPage(`The request is larger than ${MAX_LOGIN_BODY} bytes.`), 413) }));

  app.get('/', (c) => (enabled() ? c.redirect('/ui/', 302) : notFound(c)));
  app.get('/ui', (c) => c.redirect('/ui/', 302));

  app.get('/ui/assets/ui.css', (c) => c.body(UI_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache', ...SECURITY_HEADERS }));
  app.get('/ui/assets/favicon.svg', (c) => c.body(UI_FAVICON, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400', ...SECURITY_HEADERS }));
  app.get('/ui/assets/ui.js', (c) =>
    c.body(UI_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache', ...SECURITY_HEADERS }),
  );

  app.get('/ui/login', (c) => {
    if (viewer(c)) return c.redirect('/ui/', 303);
    return send(c, loginPage(null, { notice: loginNotice(ctx) }));
  });

  app.post('/ui/login', async (c) => {
    if (crossSite(c)) return send(c, loginPage('Sign-in refused: the form was sent from another site.'), 403);
    const config = ctx.getConfig();
    if (!config) return send(c, loginPage('No valid configuration is loaded yet; try again when serve has one.'), 503);
    let key = '';
    try {
      const form = await c.req.parseBody();
      key = typeof form['key'] === 'string' ? form['key'].trim() : '';
    } catch {
      return send(c, loginPage('The sign-in form could not be read.'), 400);
    }
    const name = key === '' ? null : matchApiKey(ctx.apiKeys(config), key);
    if (name === null) {
      ctx.log.warn({ event: 'auth-failed', method: 'POST', path: '/ui/login', error: 'unauthorized' }, 'POST /ui/login: invalid API key');
      return send(c, loginPage('That API key is not valid.'), 401);
    }
    if (roleOf(config, name) !== 'admin') {
      ctx.log.warn({ event: 'ui-forbidden', key: name }, `web page sign-in refused for API key ${name}: role sessions`);
      return send(c, loginPage(`API key ${name} has the role sessions; the web page needs a key with the admin role.`), 403);
    }
    sessions.delete(getCookie(c, UI_COOKIE));
    const s = sessions.create(name, digestHex(key), ctx.clock());
    setCookie(c, UI_COOKIE, s.id, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge: Math.floor(sessions.maxAgeMs / 1000) });
    ctx.log.info({ event: 'ui-login', key: name }, `web page: signed in with API key ${name}`);
    return c.redirect('/ui/', 303);
  });

  app.post('/ui/logout', (c) => {
    sessions.delete(getCookie(c, UI_COOKIE));
    deleteCookie(c, UI_COOKIE, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
    return c.redirect('/ui/login', 303);
  });

  const livePart = async (view: PageName, id: string, tz: string | null): Promise<SafeHtml> => {
    const nowMs = ctx.clock();
    if (view === 'schedules') return schedulesView(ctx.getConfig(), nowMs, tz);
    // Only the history page draws the 24-hour chart (it reads every stored session).
    const data = await loadUiData(ctx, nowMs, { capacity: view === 'history' });
    switch (view) {
      case 'servers':
        return serversView(data);
      case 'server':
        return serverDetailView(data, id);
      case 'history':
        return historyView(data);
      default:
        return overviewView(data);
    }
  };

  const filterBox = html`<div class="filter"><label for="filter">Filter rows</label><input id="filter" type="search" placeholder="pool, server, user, status…" autocomplete="off"></div>`;
  const PAGES: { path: string; view: PageName; title: string; controls?: SafeHtml }[] = [
    { path: '/ui/', view: 'overview', title: 'Overview' },
    { path: '/ui/schedules', view: 'schedules', title: 'Schedules' },
    { path: '/ui/servers', view: 'servers', title: 'Servers and sessions', controls: filterBox },
    { path: '/ui/history', view: 'history', title: 'History', controls: filterBox },
  ];
  for (const p of PAGES) {
    app.get(p.path, async (c) => {
      const v = viewer(c);
      if (!v) return c.redirect('/ui/login', 303);
      // The viewer's zone: ?tz=, else the cookie the script sets (validated either way).
      const tz = c.req.query('tz') ?? getCookie(c, TZ_COOKIE);
      const live = await livePart(p.view, '', validZone(tz) ? tz : null);
      return send(c, page({ page: p.view, title: p.title, viewer: v.keyName, live, ...(p.controls ? { controls: p.controls } : {}) }));
    });
  }
  app.get('/ui/servers/:id', async (c) => {
    const v = viewer(c);
    if (!v) return c.redirect('/ui/login', 303);
    const id = c.req.param('id');
    return send(c, page({ page: 'server', title: `Server ${id}`, viewer: v.keyName, id, live: await livePart('server', id, null) }));
  });

  const apiAuth = (c: Context) => {
    if (viewer(c)) return null;
    return c.json({ error: 'unauthorized', message: 'sign in at /ui/login' }, 401, { 'Cache-Control': 'no-store' });
  };
  app.get('/ui/api/view', async (c) => {
    const denied = apiAuth(c);
    if (denied) return denied;
    const requested = c.req.query('view') ?? 'overview';
    const view: PageName = (['overview', 'servers', 'server', 'schedules', 'history'] as const).find((n) => n === requested) ?? 'overview';
    const tz = c.req.query('tz');
    const part = await livePart(view, c.req.query('id') ?? '', validZone(tz) ? tz : null);
    return c.json({ at: new Date(ctx.clock()).toISOString(), html: String(part) }, 200, { 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  });
  app.get('/ui/api/data', async (c) => {
    const denied = apiAuth(c);
    if (denied) return denied;
    return c.json(await loadUiData(ctx, ctx.clock()), 200, { 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  });
}

/** Why nobody can sign in, when that is the case (no config, no admin key). */
function loginNotice(ctx: AppContext): string | null {
  const config = ctx.getConfig();
  if (!config) return 'No valid configuration is loaded yet.';
  if (!(config.settings.api_keys ?? []).some((k) => k.role === 'admin')) {
    return 'No API key with the admin role is configured: add one to Settings.api_keys (role: admin) to use this page.';
  }
  return null;
}
