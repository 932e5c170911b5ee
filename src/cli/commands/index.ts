// The commands of `poolform`, in help order. `main.ts` imports only the module
// of the command being run, so `--help`, `--version` and each command load
// only what they need (the whole CLI is never imported at once). `term` and
// `summary` are what top-level `--help` lists without loading any module; a
// test (index.test.ts) checks they match what each module registers.
//
// Adding a command: write commands/<name>.ts exporting a `register(program, ctx)`
// function, add an entry here, and run `npx vitest run src/cli/commands/index.test.ts`.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export type Register = (program: Command, ctx: CliContext) => void;

export interface CommandEntry {
  name: string;
  /** How top-level help lists it: name, `[options]`, arguments. */
  term: string;
  /** The command's `.description(...)`, as its module sets it. */
  summary: string;
  load(): Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'validate',
    term: 'validate [options] [dir]',
    summary: 'check the YAML configuration in DIR (default .) and report problems as file:line:col',
    load: async () => (await import('./validate.ts')).registerValidate,
  },
  {
    name: 'schedule',
    term: 'schedule [options] [dir]',
    summary: 'show whether each autoscale config is active and when it next turns on or off',
    load: async () => (await import('./schedule.ts')).registerSchedule,
  },
  {
    name: 'plan',
    term: 'plan [options] [dir]',
    summary: 'show what apply would change (Terraform-style), optionally saving the plan',
    load: async () => (await import('./plan.ts')).registerPlan,
  },
  {
    name: 'apply',
    term: 'apply [options] [target]',
    summary: 'apply the changes a plan shows (asks for confirmation), or exactly a saved plan',
    load: async () => (await import('./apply.ts')).registerApply,
  },
  {
    name: 'destroy',
    term: 'destroy [options] [dir]',
    summary: 'destroy everything poolform manages (or --target ADDR); busy servers are drained first unless --force',
    load: async () => (await import('./destroy.ts')).registerDestroy,
  },
  {
    name: 'show',
    term: 'show [options] <file>',
    summary: 'print a saved plan (from `poolform plan -out FILE`)',
    load: async () => (await import('./show.ts')).registerShow,
  },
  {
    name: 'state',
    term: 'state',
    summary: 'inspect and edit the state directly: list, show, rm (forget), pull',
    load: async () => (await import('./state.ts')).registerState,
  },
  {
    name: 'force-unlock',
    term: 'force-unlock [options] <id>',
    summary: 'remove the state lock with this id, whoever holds it (see the id in the "state is locked" error)',
    load: async () => (await import('./force-unlock.ts')).registerForceUnlock,
  },
  {
    name: 'sessions',
    term: 'sessions',
    summary: 'list or end sessions (reads and writes the state; works with or without serve running)',
    load: async () => (await import('./sessions.ts')).registerSessions,
  },
  {
    name: 'servers',
    term: 'servers',
    summary: 'list servers, drain one before maintenance, undrain it after (works on the state)',
    load: async () => (await import('./servers.ts')).registerServers,
  },
  {
    name: 'serve',
    term: 'serve [options] [dir]',
    summary: 'Serve the check-in and session API and keep the pools reconciled (watches DIR for changes).',
    load: async () => (await import('./serve.ts')).registerServe,
  },
  {
    name: 'completion',
    term: 'completion <shell>',
    summary: 'print a shell completion script: bash or zsh (e.g. poolform completion bash >> ~/.bashrc)',
    load: async () => (await import('./completion.ts')).registerCompletion,
  },
];
