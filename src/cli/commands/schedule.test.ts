import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.ts';
import { LOCAL_PROVIDER, MINIMAL, writeConfigDir } from '../../../test/fixtures/config/load-strings.ts';
import { captureCli, runMain } from '../../../test/support/cli.ts';

const capture = (cwd: string) => captureCli({ cwd });

const dirs: string[] = [];
let valid = '';
let invalid = '';
const run = (args: string[]) => runMain(['schedule', ...args], { cwd: valid });

beforeAll(async () => {
  valid = await writeConfigDir({
    'local.yaml': MINIMAL,
    'night.yaml': `kind: Pool
name: night
type: server
autoscale:
  - name: overnight
    vm_provider: local
    connection_type: rdp
    schedules:
      - { days: [tue, thu], start: "21:00", end: "05:00", timezone: Europe/Berlin }
  - name: always
    vm_provider: local
    connection_type: rdp
  - name: off
    enabled: false
    vm_provider: local
    connection_type: rdp
`,
  });
  invalid = await writeConfigDir({
    'a.yaml': `${LOCAL_PROVIDER}---\nkind: Pool\nname: p\ntype: server\nautoscale:\n  - name: a\n    vm_provider: nope\n    connection_type: rdp\n`,
  });
  dirs.push(valid, invalid);
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('poolform schedule', () => {
  it('--json: active state and next transitions of every autoscale config, in config order', async () => {
    // Friday 2024-03-08 20:00 UTC = 15:00 EST.
    const { code, out } = await run(['.', '--at', '2024-03-08T20:00:00Z', '--count', '3', '--json']);
    expect(code).toBe(0);
    // Extra fields (target, target_changes, prewarm) are checked below.
    expect(JSON.parse(out)).toMatchObject({
      at: '2024-03-08T20:00:00.000Z',
      autoscale: [
        {
          pool: 'desktops',
          name: 'day',
          active: true,
          transitions: [
            { at: '2024-03-08T23:00:00.000Z', active: false }, // Fri 18:00 EST
            { at: '2024-03-11T11:00:00.000Z', active: true }, // Mon 07:00 EDT (DST began Sunday)
            { at: '2024-03-11T22:00:00.000Z', active: false },
          ],
        },
        {
          pool: 'night',
          name: 'overnight',
          active: false,
          transitions: [
            { at: '2024-03-12T20:00:00.000Z', active: true }, // Tue 21:00 CET
            { at: '2024-03-13T04:00:00.000Z', active: false },
            { at: '2024-03-14T20:00:00.000Z', active: true },
          ],
        },
        { pool: 'night', name: 'always', active: true, transitions: [] },
        { pool: 'night', name: 'off', active: false, transitions: [] },
      ],
    });
    // The target in force and its next changes (MINIMAL: minimum_available_sessions 2 while active).
    const day = JSON.parse(out).autoscale[0];
    expect(day.target).toMatchObject({ active: true, targets: { minimum_available_sessions: 2, max_instances: null }, windows: {} });
    expect(day.target_changes.map((c: { at: string; active: boolean }) => [c.at, c.active])).toEqual([
      ['2024-03-08T23:00:00.000Z', false],
      ['2024-03-11T11:00:00.000Z', true],
      ['2024-03-11T22:00:00.000Z', false],
    ]);
    expect(day.prewarm).toBeNull();
  });

  it('text: times in the schedule zone and in UTC; default count is 5', async () => {
    const { code, out } = await run(['--at', '2024-03-08T20:00:00Z']);
    expect(code).toBe(0);
    expect(out).toContain('desktops/day: active\n');
    expect(out).toContain('inactive  Fri 2024-03-08 18:00 EST (America/New_York)  = 2024-03-08T23:00:00Z UTC');
    expect(out).toContain('active    Mon 2024-03-11 07:00 EDT (America/New_York)  = 2024-03-11T11:00:00Z UTC');
    expect(out).toContain('night/always: active (no schedules: always active)');
    expect(out).toContain('night/off: inactive (disabled: never active)');
    const day = out.slice(out.indexOf('desktops/day'), out.indexOf('  next target changes'));
    expect(day).toContain('  at Fri 2024-03-08 15:00 EST (America/New_York)\n');
    expect(day.match(/EST|EDT/g)).toHaveLength(6); // the instant itself + 5 transitions
    expect(out.startsWith('at 2024-03-08T20:00:00.000Z\n')).toBe(true);
  });

  it('DST edges at precise instants: a start in the skipped hour, a start in the repeated hour', async () => {
    const dir = await writeConfigDir({
      'a.yaml': `${LOCAL_PROVIDER}---
kind: Pool
name: p
type: server
autoscale:
  - name: gap
    vm_provider: local
    connection_type: rdp
    schedules:
      - { days: [sun], start: "02:30", end: "04:00", timezone: America/New_York }
  - name: repeated
    vm_provider: local
    connection_type: rdp
    schedules:
      - { days: [sun], start: "01:30", end: "03:00", timezone: America/New_York }
`,
    });
    dirs.push(dir);
    const ctx = capture(dir);
    // Spring forward 2026-03-08: 02:30 does not exist; active from 03:00 EDT (07:00Z).
    expect(await main(['node', 'poolform', 'schedule', '--at', '2026-03-08T06:59:00Z', '--count', '2', '--json'], ctx)).toBe(0);
    const spring = JSON.parse(ctx.out());
    expect(spring.autoscale[0]).toMatchObject({
      pool: 'p',
      name: 'gap',
      active: false,
      transitions: [
        { at: '2026-03-08T07:00:00.000Z', active: true },
        { at: '2026-03-08T08:00:00.000Z', active: false },
      ],
    });
    // Fall back 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST); the first one counts, once.
    const fall = capture(dir);
    expect(await main(['node', 'poolform', 'schedule', '--at', '2026-11-01T05:00:00Z', '--count', '3', '--json'], fall)).toBe(0);
    expect(JSON.parse(fall.out()).autoscale[1].transitions).toEqual([
      { at: '2026-11-01T05:30:00.000Z', active: true },
      { at: '2026-11-01T08:00:00.000Z', active: false },
      { at: '2026-11-08T06:30:00.000Z', active: true },
    ]);
    const text = capture(dir);
    await main(['node', 'poolform', 'schedule', '--at', '2026-11-01T05:00:00Z', '--count', '1'], text);
    expect(text.out()).toContain('active    Sun 2026-11-01 01:30 EDT (America/New_York)  = 2026-11-01T05:30:00Z UTC');
  });

  it('defaults --at to now', async () => {
    const before = Date.now();
    const { code, out } = await run(['--json']);
    expect(code).toBe(0);
    const at = Date.parse(JSON.parse(out).at);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('an --at with an offset is honoured', async () => {
    const { out } = await run(['--at', '2024-03-08T15:00:00-05:00', '--json', '--count', '0']);
    expect(JSON.parse(out).at).toBe('2024-03-08T20:00:00.000Z');
    const text = await run(['--at', '2024-03-08T15:00:00-05:00', '--count', '0']);
    expect(text.out).toContain('desktops/day: active\n');
    expect(text.out).not.toContain('no transitions ahead'); // none were asked for
    expect(text.out).not.toContain('next transitions');
  });

  it('bad --at or --count: exit 2 with a clear message', async () => {
    const badAt = await run(['--at', 'yesterday']);
    expect(badAt.code).toBe(2);
    expect(badAt.err).toMatch(/invalid --at "yesterday".*ISO 8601/);
    for (const bad of ['-1', 'x', '2.5', '100000']) {
      const r = await run(['--count', bad]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/invalid --count/);
    }
  });

  it('invalid configuration: diagnostics and exit 1', async () => {
    const ctx = capture(invalid);
    const code = await main(['node', 'poolform', 'schedule', '.'], ctx);
    expect(code).toBe(1);
    expect(ctx.err()).toMatch(/a\.yaml:\d+:\d+: error/);
    expect(ctx.out()).toBe('');
  });

  it('missing directory: exit 2', async () => {
    const r = await run(['does-not-exist']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such directory/);
  });
});
