// `poolform schedule [DIR] [--at ISO8601] [--count N] [--json]`: for every
// autoscale config (config order), whether it is active at --at (default:
// now) and its next N (default 5) transitions, in each schedule's own time
// zone and in UTC. Exit 0 ok, 1 invalid configuration (diagnostics on
// stderr), 2 usage error (bad --at / --count, missing DIR).
// With `prewarm: auto` configs, the learned boot times are read from the state
// when `--state PATH` is given or the configured SQLite state exists (read
// only; a state that cannot be read falls back to checkin_timeout / 2).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { errorLine, thrownErrorLine } from '../error-line.ts';
import { DateTime } from 'luxon';
import type { CliContext } from '../context.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../context.ts';
import { loadConfig } from '../../config/load.ts';
import { fileLineReader, formatText } from '../../config/format.ts';
import { buildScheduleReport, formatScheduleText } from '../../schedule/report.ts';
import type { ReportLead } from '../../schedule/report.ts';
import type { Config } from '../../config/model.ts';
import { autoscaleConfigs } from '../../config/model.ts';
import { prewarmLead } from '../../autoscale/prewarm.ts';
import { bootTimesByConfig } from '../../autoscale/boot-history.ts';
import { stateBackend } from '../../state/open.ts';
import { withCliStore } from '../store-options.ts';

interface ScheduleOptions {
  at?: string;
  count: string;
  json?: boolean;
  state?: string;
}

const MAX_COUNT = 1000;

export function registerSchedule(program: Command, ctx: CliContext): void {
  program
    .command('schedule')
    .description('show whether each autoscale config is active and when it next turns on or off')
    .argument('[dir]', 'config directory', '.')
    .option('--at <time>', 'ISO 8601 instant to evaluate (default: now; without an offset it is UTC)')
    .option('--count <n>', 'transitions to list per autoscale config', '5')
    .option('--json', 'print JSON')
    .option('--state <path>', 'state directory to read learned boot times from (prewarm: auto; default: Settings.state.path when it exists)')
    .action(async (dir: string, options: ScheduleOptions) => {
      ctx.exitCode = await runSchedule(ctx, dir, options, Date.now());
    });
}

/** Parses --at: ISO 8601; a time without an offset is read as UTC. Returns epoch ms or null. */
export function parseAt(text: string): number | null {
  const parsed = DateTime.fromISO(text.trim(), { zone: 'utc' });
  return parsed.isValid ? parsed.toMillis() : null;
}

export async function runSchedule(ctx: CliContext, dir: string, options: ScheduleOptions, nowMs: number): Promise<number> {
  let atMs = nowMs;
  if (options.at !== undefined) {
    const parsed = parseAt(options.at);
    if (parsed === null) {
      ctx.stderr.write(errorLine('schedule', 'usage', `invalid --at "${options.at}" (expected an ISO 8601 time such as 2024-03-11T09:00:00Z)`));
      return EXIT_USAGE;
    }
    atMs = parsed;
  }
  if (!/^\d+$/.test(options.count.trim()) || Number(options.count) > MAX_COUNT) {
    ctx.stderr.write(errorLine('schedule', 'usage', `invalid --count "${options.count}" (expected a whole number from 0 to ${MAX_COUNT})`));
    return EXIT_USAGE;
  }
  const count = Number(options.count);

  const abs = resolve(ctx.cwd, dir);
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isDirectory()) {
    ctx.stderr.write(errorLine('schedule', 'config-dir-missing', `${dir}: ${info ? 'not a directory' : 'no such directory'}`));
    return EXIT_USAGE;
  }
  const loaded = await loadConfig(abs);
  if (!loaded.config || loaded.diagnostics.some((d) => d.severity === 'error')) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    ctx.stderr.write(formatText(errors, { dir: dir === '.' ? '' : dir, sourceLine: fileLineReader(abs) }));
    return EXIT_FAILURE;
  }
  let report: ReturnType<typeof buildScheduleReport>;
  try {
    report = buildScheduleReport(loaded.config, atMs, count, leadsOf(loaded.config, await bootTimesOf(ctx, loaded.config, options.state)));
  } catch (err) {
    ctx.stderr.write(thrownErrorLine('schedule', err));
    return EXIT_FAILURE;
  }
  ctx.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatScheduleText(loaded.config, report, count));
  return EXIT_OK;
}

/**
 * Boot times for `prewarm: auto` (null: not read). Read only when some config
 * uses auto, and only from a state that exists: `--state`, else the configured
 * SQLite state (a PostgreSQL state is read only with --state given).
 */
async function bootTimesOf(ctx: CliContext, config: Config, state: string | undefined): Promise<Record<string, number[]> | null> {
  if (!autoscaleConfigs(config).some(({ autoscale }) => autoscale.prewarm === 'auto')) return null;
  if (state === undefined && stateBackend(config.settings) !== 'sqlite') return null;
  try {
    return await withCliStore(ctx, { state }, async ({ store }) => bootTimesByConfig(await store.listBoots()), config, { mustExist: true });
  } catch {
    return null;
  }
}

/**
 * Pre-warm leads: a fixed duration as written; `prewarm: auto` from the
 * learned boot times when the state was read, else the estimate used before
 * any server has booted (checkin_timeout / 2), said so.
 */
function leadsOf(config: Config, bootTimes: Record<string, number[]> | null): (pool: string, autoscale: string) => ReportLead | null {
  const leads = new Map<string, ReportLead | null>();
  for (const { pool, autoscale } of autoscaleConfigs(config)) {
    const key = `${pool.name}/${autoscale.name}`;
    const lead = prewarmLead(autoscale, bootTimes?.[key] ?? []);
    const unread = autoscale.prewarm === 'auto' && bootTimes === null && lead;
    leads.set(key, unread ? { ms: lead.ms, why: `auto: ${lead.why} (no state read; pass --state to use the learned boot time)` } : lead);
  }
  return (pool, autoscale) => leads.get(`${pool}/${autoscale}`) ?? null;
}
