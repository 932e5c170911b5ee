// The operator web page in a real browser: `poolform serve` on a copy of
// config.example (plus an admin key), Debian's Chromium driven by
// playwright-core. Signs in, checks the pools and a requested session appear,
// sorts and filters, waits for a live refresh, signs out; screenshots on a
// laptop and a phone viewport go to test/artifacts/ (gitignored); no console
// errors; axe-core finds no serious or critical accessibility violation on
// any page. Without /usr/bin/chromium the suite skips (apt-get install
// chromium), except under CI=true where it fails.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTimeout } from '../src/testing/timeouts.ts';
import type { ServeProcess } from './serve-process.ts';
import { getJson, killLocalVms, postJson, serversOf, startServeProcess, waitFor } from './serve-process.ts';

/** Debian's chromium package; POOLFORM_CHROMIUM names another binary (e.g. chromium-browser elsewhere). */
const CHROMIUM = process.env['POOLFORM_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function requireTools(): boolean {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium, or set POOLFORM_CHROMIUM)`);
  if (spawnSync('curl', ['--version'], { stdio: 'ignore' }).status !== 0) missing.push('curl (the local VMs check in with it: apt-get install curl)');
  if (missing.length === 0) return true;
  const why = `missing ${missing.join(', ')}`;
  if (process.env['CI'] === 'true') throw new Error(`web page browser test: ${why}`);
  console.warn(`skipping the web page browser test: ${why}`);
  return false;
}
const ready = requireTools();

const EXAMPLE = fileURLToPath(new URL('../config.example', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const README_SHOT = fileURLToPath(new URL('../docs/images/ui-overview.png', import.meta.url));
const SESSIONS_KEY = 'ui-demo-key-5d2e';
const ADMIN_KEY = 'ui-admin-key-8c1f';
const RDP_PASSWORD = 'ui-rdp-pass-3a9b';
const WAIT_MS = testTimeout(30_000);
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

const roots: string[] = [];
let state = '';
let proc: ServeProcess | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await proc?.stop('SIGKILL');
  if (state) await killLocalVms(state);
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

/** axe-core on the current page: the serious and critical violations. */
async function axeSerious(page: Page): Promise<AxeViolation[]> {
  // Runtime evaluation (not a <script> tag): the page's CSP allows only its own scripts.
  await page.evaluate(AXE);
  // Expressions as strings: the test is compiled without the DOM library.
  const result = (await page.evaluate(
    'axe.run(document).then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))',
  )) as { passes: number; violations: AxeViolation[] };
  // axe really ran and checked something.
  expect(result.passes).toBeGreaterThan(5);
  const violations = result.violations;
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Everything the browser was shown, searched for secrets at the end. */
const seen: string[] = [];

async function shot(page: Page, name: string): Promise<string> {
  seen.push(await page.content());
  const file = join(ARTIFACTS, `ui-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

describe.skipIf(!ready)('web page in Chromium (serve on config.example)', () => {
  let url = '';

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'poolform-ui-browser-'));
    roots.push(root);
    const cfg = join(root, 'config');
    cpSync(EXAMPLE, cfg, { recursive: true });
    // config.example has one sessions key; the page needs an admin key.
    const settingsFile = join(cfg, 'settings.yaml');
    const settings = readFileSync(settingsFile, 'utf8');
    const demoKey = '    secret: ${env:POOLFORM_API_KEY}\n';
    expect(settings).toContain(demoKey);
    writeFileSync(settingsFile, settings.replace(demoKey, `${demoKey}  - name: ops\n    secret: \${env:POOLFORM_ADMIN_KEY}\n    role: admin\n`));
    state = join(root, 'state');
    mkdirSync(state);
    mkdirSync(ARTIFACTS, { recursive: true });
    proc = await startServeProcess({
      dir: cfg,
      stateDir: state,
      env: { POOLFORM_API_KEY: SESSIONS_KEY, POOLFORM_ADMIN_KEY: ADMIN_KEY, DEMO_RDP_PASSWORD: RDP_PASSWORD },
    });
    url = proc.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, testTimeout(60_000));

  it(
    'signs in, shows pools, servers and a requested session, refreshes live, passes axe, no console errors',
    async () => {
      if (!proc || !browser) throw new Error('serve or the browser did not start');
      const p = proc;
      const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
      await waitFor(
        async () => serversOf((await getJson(`${p.url}/api/v1/status`, admin)).body, 'demo-desktops').some((s) => s.status === 'running'),
        60_000,
        `a demo-desktops server to check in\n${p.output().slice(-2000)}`,
      );
      const placed = await postJson(
        `${url}/api/v1/sessions`,
        { pool: 'demo-desktops', user: 'alice', credential: 'alice-pw' },
        { Authorization: `Bearer ${SESSIONS_KEY}` },
      );
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      const sessionId = String(placed.body['id']);

      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      // Playwright's waits, scaled like every test timeout (a shared, busy machine).
      context.setDefaultTimeout(WAIT_MS);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400 && !r.url().endsWith('/ui/login')) problems.push(`HTTP ${r.status()} ${r.url()}`);
      });

      // / → /ui/ → the login form.
      await page.goto(`${url}/`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      expect(await axeSerious(page)).toEqual([]);
      await shot(page, 'login');
      // A sessions key is refused.
      await page.getByLabel('Admin API key').fill(SESSIONS_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: WAIT_MS }).toContain('admin role');
      // The browser logs the refused sign-in (403) as a console error: expected here, and only here.
      expect(problems.every((x) => x.includes('403'))).toBe(true);
      problems.splice(0);
      // Keyboard only: the admin key, Enter.
      await page.getByLabel('Admin API key').fill(ADMIN_KEY);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${url}/ui/`);
      const cookies = await context.cookies();
      const cookie = cookies.find((c) => c.name === 'poolform_ui');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });
      expect(cookie?.value).not.toContain(ADMIN_KEY);

      // Overview: every pool of config.example, and the session counted.
      for (const pool of ['demo-desktops', 'lab-servers'])
        await page
          .getByRole('heading', { name: new RegExp(pool) })
          .first()
          .waitFor();
      await page.locator('#updated', { hasText: 'Updated' }).waitFor({ timeout: WAIT_MS });
      const overview = await page.locator('#live').textContent();
      expect(overview).toContain('Wants next');
      expect(await axeSerious(page)).toEqual([]);
      const overviewShot = await shot(page, 'overview');
      if (process.env['POOLFORM_UPDATE_SCREENSHOTS'] === '1') copyFileSync(overviewShot, README_SHOT);
      // The first Tab reaches the skip link.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Skip to content');

      // Servers and sessions: the requested session, sorting and filtering.
      await page.getByRole('link', { name: 'Servers and sessions' }).click();
      await page.waitForURL(`${url}/ui/servers`);
      await page.locator('#sessions').getByText(sessionId).waitFor();
      await page.locator('#servers button[data-sort="2"]').click();
      expect(await page.locator('#servers th').nth(2).getAttribute('aria-sort')).toBe('ascending');
      await page.getByLabel('Filter rows').fill('alice');
      expect(await page.locator('#sessions tbody tr:not([hidden])').count()).toBe(1);
      await page.getByLabel('Filter rows').fill('no-such-thing-zzz');
      expect(await page.locator('#servers tbody tr:not([hidden])').count()).toBe(0);
      await page.getByLabel('Filter rows').fill('');
      // The sort survives a live refresh.
      const before = await page.locator('#updated').textContent();
      await expect.poll(() => page.locator('#updated').textContent(), { timeout: WAIT_MS }).not.toBe(before);
      expect(await page.locator('#servers th').nth(2).getAttribute('aria-sort')).toBe('ascending');
      expect(await axeSerious(page)).toEqual([]);
      await shot(page, 'servers');

      // A server's page: its check-ins and sessions.
      const serverId = String((placed.body['server'] as { id?: string } | undefined)?.id ?? '');
      await page.goto(`${url}/ui/servers/${encodeURIComponent(serverId)}`);
      await page.getByRole('table', { name: 'Check-ins' }).waitFor();
      await page.getByRole('table', { name: 'Sessions on this server' }).getByText(sessionId).waitFor();
      expect(await axeSerious(page)).toEqual([]);
      await shot(page, 'server');

      for (const [name, path, expected] of [
        ['schedules', '/ui/schedules', 'always-on'],
        ['history', '/ui/history', 'Capacity, last 24 h'],
      ] as const) {
        await page.goto(`${url}${path}`);
        await page.getByText(expected).first().waitFor();
        await page.locator('#updated', { hasText: 'Updated' }).waitFor({ timeout: WAIT_MS });
        expect(await axeSerious(page)).toEqual([]);
        await shot(page, name);
      }

      // A phone.
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await phone.addCookies(cookies);
      phone.setDefaultTimeout(WAIT_MS);
      const small = await phone.newPage();
      small.on('console', (m) => {
        if (m.type() === 'error') problems.push(`phone console: ${m.text()}`);
      });
      await small.goto(`${url}/ui/`);
      await small
        .getByRole('heading', { name: /demo-desktops/ })
        .first()
        .waitFor();
      // Nothing wider than the screen (tables scroll inside their own box).
      expect(await small.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      expect(await axeSerious(small)).toEqual([]);
      await shot(small, 'overview-phone');
      for (const [name, path] of [
        ['servers-phone', '/ui/servers'],
        ['schedules-phone', '/ui/schedules'],
      ] as const) {
        await small.goto(`${url}${path}`);
        await small.locator('#live').waitFor();
        expect(await small.evaluate('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(390);
        await shot(small, name);
      }
      await phone.close();

      // No secret in anything the browser was given: pages as rendered, the page data, the script.
      for (const path of ['/ui/api/data', '/ui/api/view?view=history', '/ui/assets/ui.js']) seen.push(await (await page.request.get(`${url}${path}`)).text());
      for (const text of seen) for (const secret of [ADMIN_KEY, SESSIONS_KEY, RDP_PASSWORD, 'alice-pw']) expect(text.includes(secret), secret).toBe(false);

      // Sign out: back to the form, the session is gone.
      await page.goto(`${url}/ui/`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${url}/ui/login`);
      const after = await page.request.get(`${url}/ui/api/data`);
      expect(after.status()).toBe(401);
      problems.splice(0, problems.length, ...problems.filter((x) => !x.includes('/ui/api/data')));

      expect(problems).toEqual([]);
      // No secret in what the browser was given.
      expect(p.output()).not.toContain(ADMIN_KEY);
      await context.close();
    },
    testTimeout(180_000),
  );
});
