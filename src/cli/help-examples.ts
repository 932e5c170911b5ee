// One example (at least) at the end of every command's --help (issue 12).
// Commands that write their own (addHelpText in their module: destroy,
// sessions, servers, completion) are not listed here; a test checks that every
// command's help has an example either way.
import type { Command } from 'commander';

export const HELP_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  validate: ['poolform validate pools/', 'poolform validate pools/ --format github   # annotations in a GitHub Actions job'],
  schedule: ['poolform schedule pools/ --at 2026-12-07T08:00:00Z'],
  plan: ['poolform plan pools/ -out tfplan', 'poolform plan pools/ --detailed-exitcode --target vm.desktops.day', 'poolform plan pools/ --destroy'],
  apply: ['poolform apply pools/', 'poolform apply tfplan                     # exactly a plan saved with plan -out', 'poolform apply pools/ -auto-approve'],
  show: ['poolform show tfplan --json'],
  state: ['poolform state list --state /var/lib/poolform', 'poolform state pull > backup.json'],
  'state list': ['poolform state list vm.desktops --state /var/lib/poolform'],
  'state show': ['poolform state show server.desktops.legacy1 --json'],
  'state rm': ['poolform state rm vm.desktops.day.a1b2c3d4'],
  'state pull': ['poolform state pull --config pools/ > backup.json'],
  'force-unlock': ['poolform force-unlock 6f1c2a9e-1b7d-4c1e-9a35-0d7f3b2c8e11 --state /var/lib/poolform'],
  serve: [
    'poolform serve pools/ --listen 0.0.0.0:8443 --tls-cert /etc/poolform/tls.crt --tls-key /etc/poolform/tls.key',
    'poolform serve pools/ --state /var/lib/poolform --log-level debug',
  ],
};

/** The full path of a command below the program (`state list`). */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds HELP_EXAMPLES to the registered commands (and their subcommands). */
export function addHelpExamples(program: Command): void {
  const visit = (command: Command): void => {
    const examples = HELP_EXAMPLES[pathOf(command)];
    if (examples) command.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
    for (const sub of command.commands) visit(sub);
  };
  for (const command of program.commands) visit(command);
  program.addHelpText(
    'after',
    "\nEvery command also takes --no-color (or NO_COLOR=1), and Terraform's single-dash\nspellings (-auto-approve, -target=ADDR, -detailed-exitcode, -out=FILE).\n\nExample:\n  poolform plan pools/ -out tfplan && poolform apply tfplan\n",
  );
}
