// The page shell (header, navigation, sign-out) and the login page. The live
// part of each page is a `#live` element the script refreshes from
// /ui/api/view every few seconds.
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';

export type PageName = 'overview' | 'servers' | 'server' | 'schedules' | 'history';

const NAV: { page: PageName; href: string; label: string }[] = [
  { page: 'overview', href: '/ui/', label: 'Overview' },
  { page: 'schedules', href: '/ui/schedules', label: 'Schedules' },
  { page: 'servers', href: '/ui/servers', label: 'Servers and sessions' },
  { page: 'history', href: '/ui/history', label: 'History' },
];

function head(title: string): SafeHtml {
  return html`<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · poolform</title><link rel="icon" href="/ui/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/ui/assets/ui.css"><script src="/ui/assets/ui.js" defer></script></head>`;
}

export interface PageOptions {
  page: PageName;
  title: string;
  /** Signed-in key name. */
  viewer: string;
  /** Markup above the live part that refreshes must not replace (filter boxes). */
  controls?: SafeHtml;
  live: SafeHtml;
  /** Extra query for /ui/api/view (server id). */
  id?: string;
}

export function page(o: PageOptions): SafeHtml {
  const current = o.page === 'server' ? 'servers' : o.page;
  const nav = NAV.map((n) => (n.page === current ? html`<a href="${n.href}" aria-current="page">${n.label}</a>` : html`<a href="${n.href}">${n.label}</a>`));
  return html`<!doctype html>
<html lang="en">${head(o.title)}<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">poolform</span><nav aria-label="Pages">${nav}</nav><form method="post" action="/ui/logout" class="signout"><span class="muted">Signed in as ${o.viewer}</span> <button type="submit">Sign out</button></form></header>
<main id="main" tabindex="-1"><h1>${o.title}</h1>${o.controls ?? ''}
<div id="live" data-view="${o.page}" data-id="${o.id ?? ''}">${o.live}</div>
<p class="updated muted" role="status" id="updated"></p>
</main>
</body></html>`;
}

export function loginPage(message: string | null, options: { notice?: string | null } = {}): SafeHtml {
  return html`<!doctype html>
<html lang="en">${head('Sign in')}<body class="login">
<main id="main"><h1>poolform</h1>
<p>Read-only view of pools, servers, sessions, schedules and plans. Sign in with an API key that has the <code>admin</code> role.</p>
${options.notice ? html`<p class="notice">${options.notice}</p>` : ''}
${message ? html`<p class="error" role="alert" id="login-error">${message}</p>` : ''}
<form method="post" action="/ui/login" class="login-form">
<label for="key">Admin API key</label>
<input id="key" name="key" type="password" autocomplete="off" required spellcheck="false"${message ? html` aria-describedby="login-error"` : ''}>
<button type="submit">Sign in</button>
</form>
<p class="muted">The key is checked once and never stored in the browser: a random session id in an HttpOnly cookie stands for it.</p>
</main>
</body></html>`;
}
