import type { Command } from 'commander';
import { readSettings } from '../../config/environment.js';
import { ValidationError } from '../../errors.js';
import { resolveTemporalTarget } from '../../temporal/connection.js';
import {
  DEFAULT_DB_FILENAME,
  type DevServerOptions,
  defaultUiPort,
  startDevServer,
} from '../../temporal/dev-server.js';
import { startEmbeddedStack } from '../embedded-runtime.js';
import { note } from '../output.js';
import { parsePort } from '../parse-options.js';
import { onStopSignals } from '../stop-signals.js';
import { parseWebhookFlags, type WebhookFlags } from './worker.js';

interface ServerFlags {
  port: string;
  uiPort?: string;
  headless?: boolean;
  dbFilename: string;
}

function addServerFlags(command: Command): Command {
  return command
    .option('--port <port>', 'Temporal frontend port', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (default: port + 1000)')
    .option('--headless', 'run without the Web UI')
    .option(
      '--db-filename <file>',
      'SQLite file that keeps workflows across restarts',
      DEFAULT_DB_FILENAME,
    );
}

/** The server's flags, checked before anything starts: a mistake exits 2 naming the flag. */
function serverOptions(flags: ServerFlags): DevServerOptions {
  const port = parsePort(flags.port, '--port');
  const headless = Boolean(flags.headless);
  if (!headless && !flags.uiPort && defaultUiPort(port) > 65_535) {
    throw new ValidationError([
      {
        field: '--ui-port',
        message: `the default (--port + 1000 = ${defaultUiPort(port)}) is not a port number; give --ui-port or --headless`,
      },
    ]);
  }
  return {
    port,
    ...(flags.uiPort ? { uiPort: parsePort(flags.uiPort, '--ui-port') } : {}),
    headless,
    dbFilename: flags.dbFilename,
    log: note,
  };
}

/** Runs until SIGINT, SIGTERM or SIGHUP, then stops what was started and exits cleanly. */
async function untilSignalled(stop: () => Promise<void>, exited: Promise<void>): Promise<void> {
  let stopping = false;
  await new Promise<void>((resolve) => {
    onStopSignals((signal) => {
      stopping = true;
      note(`${signal}: stopping`);
      void stop().finally(resolve);
    }, note);
    void exited.then(() => {
      if (!stopping) {
        note('the Temporal dev server exited');
        resolve();
      }
    });
  });
}

export function registerServerCommands(program: Command): void {
  addServerFlags(
    program
      .command('server')
      .description('run only the embedded Temporal dev server (SQLite), in the foreground'),
  ).action(async (flags: ServerFlags) => {
    // Stopped by this process on Ctrl-C (untilSignalled), like `dev`.
    const server = await startDevServer({ ...serverOptions(flags), ownProcessGroup: true });
    note(
      `Temporal dev server at ${server.address}${server.uiUrl ? `, UI ${server.uiUrl}` : ''} (CLI from ${server.source})`,
    );
    await untilSignalled(() => server.stop(), server.exited);
  });

  addServerFlags(
    program
      .command('dev')
      .description(
        'run the embedded Temporal dev server and a klingflow worker, in the foreground',
      ),
  )
    .option(
      '--webhook-port <port>',
      'also receive provider callbacks on this port (needs --public-url)',
    )
    .option('--public-url <url>', 'http(s) URL at which providers reach the webhook port')
    .option('--webhook-host <host>', 'interface the webhook port binds to (default: all)')
    .action(async (flags: ServerFlags & WebhookFlags) => {
      // Flags are checked before anything starts, so a mistake exits 2 straight away.
      const webhooks = parseWebhookFlags(flags);
      const stack = await startEmbeddedStack(
        serverOptions(flags),
        resolveTemporalTarget(),
        note,
        webhooks,
      );
      note(
        `ready: Temporal at ${stack.server.address}${stack.server.uiUrl ? `, UI ${stack.server.uiUrl}` : ''}; worker on task queue ${readSettings().taskQueue}. Ctrl-C stops both.`,
      );
      await untilSignalled(
        () => stack.stop(),
        Promise.race([stack.server.exited, stack.worker.running]),
      );
      await stack.stop();
    });
}
