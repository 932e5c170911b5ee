// `poolform force-unlock ID`: remove the state lock with this id, whoever
// holds it. For a lock left by a process that died (SQLite reports it as
// stale) or one that is stuck. With PostgreSQL the holder's database session
// is also terminated, which frees its advisory lock; a holder process that is
// still running carries on without the lock, so use this only when you know
// the holder is gone or must be stopped.
import type { Command } from 'commander';
import { EXIT_FAILURE, type CliContext } from '../context.ts';
import { errorLine } from '../error-line.ts';
import { addStoreOptions, runCommand, withCliStore, type StoreOptionValues } from '../store-options.ts';

export function registerForceUnlock(program: Command, ctx: CliContext): void {
  addStoreOptions(
    program
      .command('force-unlock')
      .description('remove the state lock with this id, whoever holds it (see the id in the "state is locked" error)')
      .argument('<id>', 'lock id'),
  ).action((id: string, options: StoreOptionValues) =>
    runCommand(ctx, () =>
      withCliStore(
        ctx,
        options,
        async ({ store, backend }) => {
          const current = await store.getLock();
          const removed = await store.forceUnlock(id);
          if (!removed) {
            ctx.stderr.write(
              errorLine(
                ctx.command,
                'lock-not-found',
                `no lock with id ${id}` +
                  (current
                    ? `; the state is locked by ${current.operation} (pid ${current.pid} on ${current.host}), lock id ${current.id}`
                    : '; the state is not locked'),
              ),
            );
            ctx.exitCode = EXIT_FAILURE;
            return;
          }
          const holder = current?.id === id ? current : undefined;
          await store.appendAudit([
            {
              at: new Date().toISOString(),
              actor: 'cli',
              action: 'force-unlock',
              address: null,
              reason: `state lock ${id} removed by \`poolform force-unlock\``,
              detail: holder ? { id: holder.id, operation: holder.operation, pid: holder.pid, host: holder.host, since: holder.since } : { id },
            },
          ]);
          ctx.stdout.write(
            `Lock ${id} removed${holder ? ` (was held by ${holder.operation}, pid ${holder.pid} on ${holder.host}, since ${holder.since})` : ''}. The state is unlocked.\n`,
          );
          if (backend === 'postgres') ctx.stdout.write("The holder's database session was terminated if it was still connected.\n");
        },
        undefined,
        { mustExist: true },
      ),
    ),
  );
}
