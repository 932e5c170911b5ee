// "A different working directory silently means a new empty state" (issue 12,
// defect 4). When plan/apply work on a state that is brand-new (its SQLite file
// did not exist, or nothing was ever written to it: serial 0), the CLI says so
// in one line with its path, and points at a state next to the config
// (`<config>/state`, `<config>/../state`) when one exists there.
//
// `apply` on such a brand-new state asks for confirmation even with
// --auto-approve (and refuses without a terminal) when the path was not chosen
// explicitly (no --state, no Settings.state.path) and a state exists next to
// the config: that is running from the wrong directory, which would create
// every server a second time. Recommended layout: Settings.state.path.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/model.ts';
import { resolveStateDir, stateBackend } from '../state/open.ts';
import { sqliteFileFor } from '../state/sqlite-store.ts';

export interface NewState {
  /** The SQLite file of the new state. */
  file: string;
  /** Whether the file did not exist before this command (it is removed again if apply is refused). */
  created: boolean;
  /** A state directory next to the config that holds a state and is not the one used. */
  suggestion: string | undefined;
  /** Whether the path came from --state or Settings.state.path (a deliberate choice). */
  explicit: boolean;
}

/** Before opening: the SQLite file plan/apply will use, and whether it exists. */
export function stateFileFor(config: Config, stateOption: string | undefined, cwd: string): { file: string; exists: boolean } | undefined {
  if (stateBackend(config.settings) !== 'sqlite') return undefined;
  const file = sqliteFileFor(resolveStateDir({ settings: config.settings, stateDir: stateOption, cwd }));
  return { file, exists: existsSync(file) };
}

/** After opening: what is new about the state (undefined when it has history). */
export function describeNewState(config: Config, stateOption: string | undefined, file: string, existed: boolean, serial: number): NewState | undefined {
  if (existed && serial > 0) return undefined;
  const used = resolve(dirname(file));
  const candidates = [resolve(config.dir, 'state'), resolve(config.dir, '..', 'state')];
  const suggestion = candidates.find((dir) => dir !== used && existsSync(sqliteFileFor(dir)));
  return { file, created: !existed, suggestion, explicit: stateOption !== undefined || config.settings.state?.path !== undefined };
}

/** One line: `poolform plan: note: new, empty state at X (did you mean --state Y?)`. */
export function newStateNotice(command: string | undefined, info: NewState): string {
  const what = info.created
    ? `no state at ${info.file} yet; a new, empty state is created there`
    : `the state at ${info.file} is empty (nothing was ever applied to it)`;
  const hint = info.suggestion ? `; did you mean --state ${info.suggestion}? (that directory holds a state)` : '';
  return `poolform${command ? ` ${command}` : ''}: note: ${what}${hint}\n`;
}

/** Whether apply must confirm using this new state (see the module comment). */
export function needsNewStateConfirmation(info: NewState | undefined): info is NewState {
  return info !== undefined && !info.explicit && info.suggestion !== undefined;
}
