import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { type BatchEntry, createBatchInput, readBatchFile } from '../../client/batch-file.js';
import { minimalBatchStatus } from '../../client/batch-status.js';
import type { KlingflowClient } from '../../client/klingflow-client.js';
import { readSettings } from '../../config/environment.js';
import { configuredProviderIds } from '../../config/provider-variables.js';
import {
  type BatchItem,
  type BatchResult,
  type BatchStatus,
  batchItemWorkflowId,
} from '../../contracts/batch.js';
import { ValidationError } from '../../errors.js';
import { createVideoStorage } from '../../storage/storage-factory.js';
import { createBatchProgress } from '../batch-progress.js';
import { CommandExit, ExitCode } from '../exit-codes.js';
import { lostWhileFollowing } from '../lost-connection.js';
import { note, notificationLine, printJson, printText } from '../output.js';
import {
  ifGiven,
  parseFailoverStuckAfterFlag,
  parseInteger,
  parseNumber,
} from '../parse-options.js';
import { formatSpend } from '../spend-summary.js';

interface BatchFlags {
  id?: string;
  concurrency?: string;
  maxCost?: string;
  retryFailed?: boolean;
  retryPaid?: boolean;
  failoverStuckAfter?: string;
  notifyUrl?: string;
  wait?: boolean;
  json?: boolean;
}

/** Above this many items the summary lists only the items that did not succeed. */
const LIST_EVERY_ITEM_UP_TO = 50;

export function registerBatchCommand(program: Command): void {
  program
    .command('batch')
    .description(
      'run every request of a JSONL file as its own job (prints the batch id; --wait blocks until all have finished)',
    )
    .argument(
      '<file>',
      'JSONL: one request per line (camelCase fields as in the client API, plus optional "providers" and "id")',
    )
    .option(
      '--id <batchId>',
      'batch id; running the same id again never submits a finished or running item again',
    )
    .option('--concurrency <n>', 'jobs in flight at once (default 5, at most 100)')
    .option(
      '--max-cost <usd>',
      'budget for the estimated spend of the whole batch; once the next item would pass it, the rest are skipped',
    )
    .option(
      '--failover-stuck-after <duration>',
      'opt-in for every item without its own "failoverStuckAfter": pay the next provider if an accepted task is stuck this long (e.g. 20m)',
    )
    .option(
      '--notify-url <url>',
      'POST the batch status JSON here once the whole batch has ended, signed with KLINGFLOW_NOTIFY_SECRET (lines may carry their own "notifyUrl")',
    )
    .option('--retry-failed', 'with the --id of an earlier batch: run its failed items again')
    .option(
      '--retry-paid',
      'with --retry-failed: also items whose earlier job holds a task the provider may have billed (an ambiguous submit, a failed download); this pays again',
    )
    .option('--wait', 'wait until every item has finished, showing progress')
    .option('--json', 'print JSON')
    .action(async (file: string, flags: BatchFlags) => {
      // Every line and option is checked before anything connects, starts or submits (exit 2).
      const options = batchOptions(flags);
      const settings = readSettings();
      const configured = configuredProviderIds(process.env);
      const items = await readBatchFile(file, {
        storage: createVideoStorage(settings),
        ...(configured.length > 0 ? { availableProviders: configured } : {}),
      });
      const { batchId } = withFlagNames(() => createBatchInput(items, options));

      // Loaded only now: a refused batch file skips the Temporal client and worker.
      const { connectOrEmbed } = await import('../embedded-runtime.js');
      const { client, following, close } = await connectOrEmbed({
        wait: Boolean(flags.wait),
        purpose: 'batch',
      });
      try {
        const started = await client.startBatch(items.map(toEntry), { ...options, batchId });
        following({ kind: 'batch', id: batchId });
        if (started.attached) {
          note(`batch ${batchId} is already running: following it instead of starting it again`);
        }
        if (!flags.wait) {
          if (flags.json) printJson(await startedStatus(client, started, items));
          else process.stdout.write(`${batchId}\n`);
          return;
        }
        if (started.rerun) {
          note(
            `started batch ${batchId} again (${started.total} items): items that finished or are running are followed, not submitted again`,
          );
        } else if (!started.attached) note(`started batch ${batchId} (${started.total} items)`);
        const result = await waitForBatchWithProgress(client, batchId, Boolean(flags.json)).catch(
          (error: unknown) => {
            throw lostWhileFollowing(error, { kind: 'batch', id: batchId });
          },
        );
        if (flags.json) printJson(result);
        else printText(summariseBatch(result));
        if (result.failed > 0 || result.skipped > 0) throw new CommandExit(ExitCode.failed);
      } catch (error) {
        if (error instanceof WorkflowFailedError) {
          throw new CommandExit(
            ExitCode.failed,
            `batch ${batchId} did not finish: ${error.cause?.message ?? error.message}`,
          );
        }
        throw error;
      } finally {
        await close();
      }
    });
}

/** The batch options the flags ask for; a malformed flag exits 2 before anything else runs. */
function batchOptions(flags: BatchFlags) {
  const concurrency = ifGiven(flags.concurrency, (value) => parseInteger(value, '--concurrency'));
  const maxCost = ifGiven(flags.maxCost, (value) => parseNumber(value, '--max-cost'));
  const failoverStuckAfter = ifGiven(flags.failoverStuckAfter, (value) =>
    parseFailoverStuckAfterFlag(value, '--failover-stuck-after'),
  );
  return {
    ...(flags.id !== undefined ? { batchId: flags.id } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(maxCost !== undefined ? { maxCost } : {}),
    ...(flags.retryFailed ? { retryFailed: true } : {}),
    ...(flags.retryPaid ? { retryPaid: true } : {}),
    ...(failoverStuckAfter !== undefined ? { failoverStuckAfter } : {}),
    ...(flags.notifyUrl !== undefined ? { notifyUrl: flags.notifyUrl } : {}),
  };
}

function toEntry(item: BatchItem): BatchEntry {
  return {
    id: item.key,
    ...(item.line !== undefined ? { line: item.line } : {}),
    request: item.request,
    ...(item.providers ? { providers: item.providers } : {}),
    ...(item.failoverStuckAfterMs !== undefined
      ? { failoverStuckAfter: item.failoverStuckAfterMs }
      : {}),
    ...(item.notifyUrl !== undefined ? { notifyUrl: item.notifyUrl } : {}),
  };
}

/** Option problems name the flags the user typed. */
function withFlagNames<T>(run: () => T): T {
  const flagNames: Record<string, string> = {
    batchId: '--id',
    concurrency: '--concurrency',
    maxCost: '--max-cost',
    retryPaid: '--retry-paid',
  };
  try {
    return run();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      error.issues.map((issue) => ({ ...issue, field: flagNames[issue.field] ?? issue.field })),
    );
  }
}

export async function waitForBatchWithProgress(
  client: KlingflowClient,
  batchId: string,
  quiet: boolean,
): Promise<BatchResult> {
  if (quiet) return client.waitForBatch(batchId);
  const progress = createBatchProgress();
  try {
    return await client.waitForBatch(batchId, { onProgress: (status) => progress.update(status) });
  } finally {
    progress.finish();
  }
}

/**
 * `batch --json` without --wait: the batch as it stands right after the start. A batch that
 * was already running is asked for its status; a new one has every item pending.
 */
async function startedStatus(
  client: KlingflowClient,
  started: Awaited<ReturnType<KlingflowClient['startBatch']>>,
  items: readonly BatchItem[],
): Promise<BatchStatus & { attached: boolean }> {
  const { batchId, attached } = started;
  if (attached) {
    try {
      const status = await client.temporal.withDeadline(Date.now() + 3_000, () =>
        client.getBatchStatus(batchId),
      );
      return { ...status, attached };
    } catch {
      // No worker answered in time: report what this process knows.
    }
  }
  return {
    ...minimalBatchStatus({
      batchId,
      workflowId: `batch-${batchId}`,
      state: 'running',
      startedAt: new Date().toISOString(),
    }),
    total: items.length,
    pending: items.length,
    items: items.map((item) => ({
      key: item.key,
      ...(item.line !== undefined ? { line: item.line } : {}),
      workflowId: batchItemWorkflowId(batchId, item.key, started.itemIdScheme),
      status: 'pending' as const,
    })),
    attached,
  };
}

export function summariseBatch(result: BatchResult): string {
  const budget =
    result.maxCost !== undefined
      ? ` (budget $${result.maxCost.toFixed(2)}${result.stoppedByBudget ? ', reached: the rest were skipped' : ''})`
      : '';
  const lines = [
    `batch ${result.batchId}: ${result.succeeded} succeeded, ${result.failed} failed, ${result.skipped} skipped of ${result.total}`,
    `  spend: ${formatSpend(result.spend)} (estimated $${result.estimatedSpend.toFixed(2)})${budget}`,
    result.manifestPath
      ? `  manifest: ${result.manifestPath}`
      : `  manifest not written: ${result.manifestError ?? 'unknown error'}`,
    ...(result.notification ? [notificationLine(result.notification)] : []),
  ];
  const listAll = result.items.length <= LIST_EVERY_ITEM_UP_TO;
  for (const item of result.items) {
    if (!listAll && item.status === 'succeeded') continue;
    const where = item.line !== undefined ? `line ${item.line}` : `item ${item.key}`;
    const label = item.line !== undefined && item.key !== String(item.line) ? ` (${item.key})` : '';
    const detail =
      item.status === 'succeeded'
        ? `${item.provider ?? ''} ${item.videos?.join(', ') ?? ''}`.trim()
        : item.status === 'skipped'
          ? `(${item.reason ?? 'skipped'})`
          : `${item.errorKind ? `[${item.errorKind}] ` : ''}${item.error ?? ''}`;
    const spent = item.spend
      ? ` [spent ${formatSpend(item.spend)}${item.spendUnknown ? ' reserved, ledger unread' : ''}]`
      : '';
    lines.push(
      `  ${where}${label}: ${item.status}${item.existing ? ' (earlier run)' : ''} ${detail}${spent}`.trimEnd(),
    );
  }
  return lines.join('\n');
}
