// `poolform serve [DIR] --listen HOST:PORT [--state PATH]`: the HTTP API
// (check-ins, sessions, status, metrics) plus the reconcile daemon, until
// SIGINT/SIGTERM. On a signal: stop accepting requests, finish in-flight
// requests and the running reconcile (its provider calls), persist, release
// the state lock and the leader lease, close the store, exit 0.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../context.ts';
import { formatDiagnostics } from '../../config/format.ts';
import { InvalidConfigError, parseListen, startServe } from '../../daemon/serve.ts';
import type { LogLevel } from '../../daemon/log.ts';
import { tlsPathsFrom } from '../../daemon/tls.ts';
import { errorMessage } from '../../util/errors.ts';
import { errorLine, thrownErrorLine } from '../error-line.ts';

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

interface ServeFlags {
  tlsCert?: string;
  tlsKey?: string;
  listen?: string;
  state?: string;
  logLevel?: string;
  watch: boolean;
}

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('Serve the check-in and session API and keep the pools reconciled (watches DIR for changes).')
    .argument('[dir]', 'configuration directory', '.')
    .option('--listen <host:port>', 'address to listen on (default: Settings.listen, else 127.0.0.1:8080)')
    .option('--state <path>', 'state directory (default: Settings.state.path, else ./state)')
    .option('--log-level <level>', 'log level: trace, debug, info, warn, error, silent (default: Settings.log_level)')
    .option('--no-watch', 'do not watch DIR for changes')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .action(async (dir: string, flags: ServeFlags) => {
      if (flags.listen !== undefined) {
        try {
          parseListen(flags.listen);
        } catch (err) {
          ctx.stderr.write(errorLine(ctx.command ?? 'serve', 'usage', errorMessage(err)));
          ctx.exitCode = EXIT_USAGE;
          return;
        }
      }
      if (flags.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) {
        ctx.stderr.write(errorLine(ctx.command ?? 'serve', 'usage', `invalid --log-level "${flags.logLevel}" (one of ${LOG_LEVELS.join(', ')})`));
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      let tls: ReturnType<typeof tlsPathsFrom>;
      try {
        tls = tlsPathsFrom(flags.tlsCert, flags.tlsKey);
      } catch (err) {
        ctx.stderr.write(thrownErrorLine(ctx.command ?? 'serve', err));
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      let handle: Awaited<ReturnType<typeof startServe>>;
      try {
        handle = await startServe({
          dir,
          listen: flags.listen,
          stateDir: flags.state,
          env: ctx.env,
          cwd: ctx.cwd,
          logLevel: flags.logLevel as LogLevel | undefined,
          watch: flags.watch,
          tls,
        });
      } catch (err) {
        if (err instanceof InvalidConfigError) {
          ctx.stderr.write(formatDiagnostics(err.diagnostics, 'text', { dir }));
          ctx.stderr.write(`\n${errorLine(ctx.command ?? 'serve', 'config-invalid', `the configuration in ${dir} is invalid; fix it and start again`)}`);
        } else {
          ctx.stderr.write(thrownErrorLine(ctx.command ?? 'serve', err));
        }
        ctx.exitCode = EXIT_FAILURE;
        return;
      }
      ctx.stderr.write(`poolform serve: listening on ${handle.url} (state: ${handle.stateDir}; servers call back to ${handle.upstreamAuthAddress})\n`);
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          ctx.stderr.write(`poolform serve: ${signal} received, shutting down\n`);
          handle
            .stop()
            .then(() => {
              ctx.exitCode = EXIT_OK;
            })
            .catch((err: unknown) => {
              ctx.stderr.write(thrownErrorLine(ctx.command ?? 'serve', err));
              ctx.exitCode = EXIT_FAILURE;
            })
            .finally(resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
