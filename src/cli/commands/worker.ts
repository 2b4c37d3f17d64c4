import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { resolveTemporalTarget } from '../../temporal/connection.js';
import { startWorkerRuntime, type WebhookOptions } from '../embedded-runtime.js';
import { note } from '../output.js';
import { parseInteger } from '../parse-options.js';

export interface WebhookFlags {
  webhookPort?: string;
  webhookHost?: string;
  publicUrl?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a klingflow worker against TEMPORAL_ADDRESS, in the foreground')
    .option(
      '--webhook-port <port>',
      'also receive provider callbacks on this port (needs --public-url)',
    )
    .option(
      '--public-url <url>',
      'http(s) URL at which providers reach the webhook port, e.g. https://hooks.example.com',
    )
    .option('--webhook-host <host>', 'interface the webhook port binds to (default: all)')
    .action(async (flags: WebhookFlags) => {
      // Flags are checked before anything connects, so a mistake exits 2 straight away.
      const webhooks = parseWebhookFlags(flags);
      const target = resolveTemporalTarget();
      const runtime = await startWorkerRuntime(target, {
        log: note,
        ...(webhooks ? { webhooks } : {}),
      });
      note(
        `worker connected to ${target.address} (namespace ${target.namespace}); Ctrl-C stops it`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        note(
          `${signal}: stopping the worker${webhooks ? ' and the callback server' : ''} (in-flight downloads checkpoint first)`,
        );
        void runtime.stop();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await runtime.running;
    });
}

/** `--webhook-port` and `--public-url` go together; the URL must be http(s). */
export function parseWebhookFlags(flags: WebhookFlags): WebhookOptions | undefined {
  const { webhookPort, publicUrl, webhookHost } = flags;
  if (webhookPort === undefined && publicUrl === undefined) {
    if (webhookHost !== undefined) {
      throw new ValidationError([
        { field: '--webhook-host', message: 'needs --webhook-port and --public-url' },
      ]);
    }
    return undefined;
  }
  if (webhookPort === undefined) {
    throw new ValidationError([
      {
        field: '--public-url',
        message: 'needs --webhook-port (the local port the callbacks arrive on)',
      },
    ]);
  }
  if (publicUrl === undefined) {
    throw new ValidationError([
      {
        field: '--webhook-port',
        message: 'needs --public-url (the URL at which providers reach that port)',
      },
    ]);
  }
  const port = parseInteger(webhookPort, '--webhook-port');
  if (port < 1 || port > 65_535) {
    throw new ValidationError([
      { field: '--webhook-port', message: `${port} is not a port number (1-65535)` },
    ]);
  }
  return {
    port,
    publicUrl: parsePublicUrl(publicUrl),
    ...(webhookHost ? { host: webhookHost } : {}),
  };
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError([
      {
        field: '--public-url',
        message: `"${value}" is not a URL`,
        allowed: ['http://…', 'https://…'],
      },
    ]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError([
      {
        field: '--public-url',
        message: `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`,
      },
    ]);
  }
  if (url.search || url.hash) {
    throw new ValidationError([
      { field: '--public-url', message: 'must not have a query string or fragment' },
    ]);
  }
  if (url.username || url.password) {
    throw new ValidationError([
      { field: '--public-url', message: 'must not carry credentials (user:password@)' },
    ]);
  }
  return url.href.replace(/\/+$/, '');
}
