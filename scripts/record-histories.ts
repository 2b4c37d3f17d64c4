/**
 * Records one workflow history per path the generateVideo workflow can take, as JSON fixtures
 * for the replay test (test/integration/replay.test.ts). A workflow change that could not
 * replay these histories would break jobs that are running when the new worker is deployed.
 *
 *   npx tsx scripts/record-histories.ts [OUTPUT_DIR]     (default test/fixtures/histories)
 *   npx tsx scripts/record-histories.ts --version v2 [OUTPUT_DIR]
 *                                                (default test/fixtures/histories/v7)
 *   npx tsx scripts/record-histories.ts --version v2 --only NAME   (that path alone)
 *   npx tsx scripts/record-histories.ts --batches [OUTPUT_DIR]
 *                                                (default test/fixtures/histories/batch/v2)
 *
 * Two sets of paths: the first (no switch) is the one the files in test/fixtures/histories were
 * recorded with, before `patched('money-safety-v2')` and `patched('provider-cancel')`; kept to
 * document them (recorded again today they would take the patched branches). `--version v2`
 * records the current version's paths (V2_PATHS) into test/fixtures/histories/v7 (v2 to v6
 * hold the versions before `patched('store-in-download')`, `patched('job-v3')`,
 * `patched('job-v4')`, `patched('job-v5')` and `patched('job-v6')`).
 *
 * Starts its own Temporal dev server (temporary SQLite file), the loopback provider fakes and
 * workers built like the integration harness's; runs each path with short renders and polls,
 * checks it ended as intended, and writes <path>.json in the format of
 * `temporal workflow show --output json` (proto3 JSON). Re-record after a deliberate,
 * versioned (`patched()`) workflow change, and keep the old files as well when jobs from the old
 * version may still be running.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { BatchEntry } from '../src/client/batch-file.js';
import { KlingflowClient } from '../src/client/klingflow-client.js';
import { batchWorkflowId } from '../src/contracts/batch.js';
import { GENERATE_VIDEO_WORKFLOW, type GenerateVideoInput } from '../src/contracts/generation.js';
import { providerCallbackSignal, statusQuery } from '../src/contracts/messages.js';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../src/simulated/index.js';
import { createFilesystemStorage } from '../src/storage/filesystem-storage.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createKlingflowWorker, WORKFLOWS_PATH } from '../src/worker.js';
import { freePort } from '../test/support/free-port.js';

const DEFAULT_OUTPUT = fileURLToPath(new URL('../test/fixtures/histories/', import.meta.url));
const V2_OUTPUT = fileURLToPath(new URL('../test/fixtures/histories/v7/', import.meta.url));
const BATCH_OUTPUT = fileURLToPath(
  new URL('../test/fixtures/histories/batch/v2/', import.meta.url),
);
/** The batch histories `--batches` records: the batch workflow with a budget and without. */
export const BATCH_PATHS = [
  ['budget', { maxCost: 10 }],
  ['plain', {}],
] as const;
const RENDER_MS = 300;
const REQUEST = parseUnifiedRequest({ prompt: 'a cat in a garden', model: 'kling-v1.6' });
const POLL_INTERVAL_MS = 200;

/**
 * `historyToJSON` / `historyFromJSON` of @temporalio/common (proto-utils), bound to the
 * protobufjs copy that @temporalio/proto's types were built with. In this dependency tree npm
 * hoists protobufjs 7 (for @grpc/proto-loader) and gives @temporalio/common, /proto and /worker
 * a private copy of protobufjs 8 each; protojson's `instanceof Type` check then fails across
 * copies, so the SDK's own functions throw "type must be a Type" (and so does
 * `Worker.runReplayHistory` when handed parsed JSON). Same output format: proto3 JSON, as
 * `temporal workflow show --output json` writes it.
 */
type History = temporal.api.history.v1.IHistory;

const requireHere = createRequire(import.meta.url);
const proto = requireHere('@temporalio/proto') as typeof import('@temporalio/proto');
const { patchProtobufRoot } = requireHere(
  '@temporalio/proto/lib/patch-protobuf-root',
) as typeof import('@temporalio/proto/lib/patch-protobuf-root.js');
const protojson = createRequire(requireHere.resolve('@temporalio/proto'))(
  'protobufjs/ext/protojson',
) as {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
};
const historyType = (
  patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }
).lookupType('temporal.api.history.v1.History');

/** A fetched history as pretty-printed proto3 JSON text. */
export function historyToJson(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** Parsed proto3 JSON (a fixture file) back to a History that `Worker.runReplayHistory` takes. */
export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history as History;
}

/** The workflow id each fixture was recorded under; the replay test replays with the same id. */
export function historyWorkflowId(path: string): string {
  return `klingflow-history-${path}`;
}

type Outcome = 'completed' | 'failed' | 'cancelled';

interface RecordedPath {
  name: string;
  outcome: Outcome;
  /** The worker that runs it: `polling` polls at once, `sleeping` waits 10 minutes first. */
  worker?: 'polling' | 'sleeping';
  /** Arranges the fakes, starts the workflow and drives it to its end. */
  run(context: PathContext): Promise<WorkflowHandle>;
}

interface PathContext {
  providers: SimulatedProviderSet;
  start(input: Partial<GenerateVideoInput>): Promise<WorkflowHandle>;
}

const PATHS: RecordedPath[] = [
  {
    name: 'succeeded',
    outcome: 'completed',
    run: ({ start }) => start({ providers: ['hyprlab'] }),
  },
  {
    name: 'failover-credits',
    outcome: 'completed',
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.injectFault({
        route: 'submit',
        fault: {
          type: 'status',
          status: 402,
          body: { error: { message: 'Insufficient credits' } },
        },
        times: 1,
      });
      return start({ providers: ['hyprlab', 'kling'] });
    },
  },
  {
    name: 'content-rejected',
    outcome: 'failed',
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.queueOutcome({
        type: 'fail',
        message: 'Content policy violation: sensitive content',
      });
      return start({ providers: ['hyprlab', 'kling'] });
    },
  },
  {
    name: 'ambiguous-submit-recovered',
    outcome: 'completed',
    run: ({ providers, start }) => {
      // The task is created but the answer never arrives: found again by external_task_id.
      providers.fakes.kling.injectFault({
        route: 'submit',
        fault: { type: 'accept-then-cut' },
        times: 1,
      });
      return start({ providers: ['kling'] });
    },
  },
  {
    name: 'stuck-attempt-deadline',
    outcome: 'completed',
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.queueOutcome({ type: 'stuck' });
      return start({ providers: ['hyprlab', 'kling'], attemptDeadlineMs: 1_500 });
    },
  },
  {
    name: 'cancelled',
    outcome: 'cancelled',
    // Cancelled while it sleeps through the render (where a real job spends most of its wait).
    // A cancel while the poll activity runs is not recorded: today it fails the workflow task
    // (an unhandled CancelledFailure from the callback watcher in pollUntilDoneOrCallback).
    worker: 'sleeping',
    run: async ({ start }) => {
      const handle = await start({ providers: ['hyprlab'] });
      await until(async () => (await handle.query(statusQuery)).phase === 'waiting');
      await handle.cancel();
      return handle;
    },
  },
  {
    name: 'callback-while-running',
    outcome: 'completed',
    // A provider callback (a progress update) arrives while the task still renders: the poll
    // is cancelled, one status call confirms "running", and the wait goes on.
    run: async ({ providers, start }) => {
      const fake = providers.fakes.hyprlab;
      fake.renderMs = 4_000;
      try {
        const polledBefore = fake.requestsFor('status').length;
        const handle = await start({ providers: ['hyprlab'] });
        await until(async () => fake.requestsFor('status').length > polledBefore);
        await handle.signal(providerCallbackSignal, { attempt: 1 });
        return handle;
      } finally {
        fake.renderMs = RENDER_MS;
      }
    },
  },
  {
    name: 'poll-transient-errors',
    outcome: 'completed',
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.injectFault({
        route: 'status',
        fault: { type: 'status', status: 500, body: { error: { message: 'upstream error' } } },
        times: 2,
      });
      return start({ providers: ['hyprlab'] });
    },
  },
];

/**
 * The current version's paths (behind `patched('money-safety-v2')` and
 * `patched('provider-cancel')`). No attempt-deadline path: a stuck task now waits for the job
 * deadline (pinned) unless the job opts into `failoverStuckAfterMs`.
 */
const V2_PATHS: RecordedPath[] = [
  {
    name: 'succeeded',
    outcome: 'completed',
    run: ({ start }) => start({ providers: ['hyprlab'] }),
  },
  {
    name: 'failover-provider-failed',
    outcome: 'completed',
    // The provider reports the task failed (a plain message, not a content refusal): it took
    // the task and ended it, so trying the next provider cannot double-bill a render.
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.queueOutcome({ type: 'fail', message: 'internal render error' });
      return start({ providers: ['hyprlab', 'kling'] });
    },
  },
  {
    name: 'content-rejected',
    outcome: 'failed',
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.queueOutcome({
        type: 'fail',
        message: 'Content policy violation: sensitive content',
      });
      return start({ providers: ['hyprlab', 'kling'] });
    },
  },
  {
    name: 'ambiguous-submit-recovered',
    outcome: 'completed',
    // Kling took the task but a gateway page came back: found again by external_task_id.
    run: ({ providers, start }) => {
      providers.fakes.kling.injectFault({
        route: 'submit',
        fault: { type: 'accept-then-gateway-page' },
        times: 1,
      });
      return start({ providers: ['kling'] });
    },
  },
  {
    name: 'ambiguous-submit-not-idempotent',
    outcome: 'failed',
    // HyprLab may have taken the task and has no lookup: never re-send, never fail over.
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.injectFault({
        route: 'submit',
        fault: { type: 'accept-then-gateway-page' },
        times: 1,
      });
      return start({ providers: ['hyprlab', 'kling'] });
    },
  },
  {
    name: 'pinned-status-errors',
    outcome: 'completed',
    // 401s on the status call after the task was accepted: the job stays with that task.
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.injectFault({
        route: 'status',
        fault: { type: 'status', status: 401, body: { error: { message: 'unauthorized' } } },
        times: 2,
      });
      return start({ providers: ['hyprlab', 'kling'] });
    },
  },
  {
    name: 'stuck-failover-opt-in',
    outcome: 'completed',
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.queueOutcome({ type: 'stuck' });
      return start({ providers: ['hyprlab', 'kling'], failoverStuckAfterMs: 1_500 });
    },
  },
  ...PATHS.filter((path) =>
    ['cancelled', 'callback-while-running', 'poll-transient-errors'].includes(path.name),
  ),
  {
    name: 'result-url-refreshed',
    outcome: 'completed',
    // The result URL answers 403 to the poll's download and to the download activity, as an
    // expired signed link does: one status call for the URL again (`refresh-result-url`), then
    // the download that delivers.
    run: ({ providers, start }) => {
      providers.fakes.hyprlab.injectFault({
        route: 'download',
        fault: { type: 'status', status: 403 },
        times: 2,
      });
      return start({ providers: ['hyprlab'] });
    },
  },
  {
    name: 'deadline-last-look-delivered',
    outcome: 'completed',
    // The first poll is due after the job deadline (the sleeping worker), so the poll ends
    // unanswered at the deadline; the render finished long before. One last status call
    // (`last-look-at-limit`) finds it done, and the download activity delivers it.
    worker: 'sleeping',
    run: ({ start }) => start({ providers: ['hyprlab', 'kling'], deadlineMs: 2_000 }),
  },
  {
    name: 'cancelled-at-provider',
    outcome: 'cancelled',
    // As `cancelled`, at a provider with a cancel call (fal): the job asks it to stop the task
    // (`patched('provider-cancel')`), so the cancelTask activity is in the history.
    worker: 'sleeping',
    run: async ({ start }) => {
      const handle = await start({ providers: ['fal'] });
      await until(async () => (await handle.query(statusQuery)).phase === 'waiting');
      await handle.cancel();
      return handle;
    },
  },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const versionAt = args.indexOf('--version');
  const version = versionAt >= 0 ? args.splice(versionAt, 2)[1] : undefined;
  if (version !== undefined && version !== 'v2') throw new Error(`unknown --version ${version}`);
  // `--only NAME`: record that path alone (a path added to a version whose others are recorded).
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1] : undefined;
  const paths = (version === 'v2' ? V2_PATHS : PATHS).filter(
    (path) => only === undefined || path.name === only,
  );
  if (paths.length === 0) throw new Error(`no path named ${only}`);
  const batchesAt = args.indexOf('--batches');
  const batches = batchesAt >= 0;
  if (batches) args.splice(batchesAt, 1);
  const output =
    args[0] ?? (batches ? BATCH_OUTPUT : version === 'v2' ? V2_OUTPUT : DEFAULT_OUTPUT);
  // Activity failures are expected on most paths; each path's outcome is checked below instead.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const directory = await mkdtemp(join(tmpdir(), 'klingflow-histories-'));
  const server = await startDevServer({
    port: await freePort(),
    headless: true,
    dbFilename: join(directory, 'temporal.db'),
    output: 'ignore',
    log: (message) => console.error(`[temporal] ${message}`),
  });
  const providers = await startSimulatedProviders({
    renderMs: RENDER_MS,
    only: ['hyprlab', 'kling', 'fal'],
  });
  const connection = await Connection.connect({ address: server.address });
  const workerConnection = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: quietBundlerLogger,
    });
    // Like the integration harness: poll at once (initial wait 0), or sleep past the test.
    const createWorker = (taskQueue: string, initialWaitMs: number) =>
      createKlingflowWorker({
        connection: workerConnection,
        namespace: 'default',
        settings: {
          taskQueue,
          storageDirectory: join(directory, 'videos'),
          providerOrder: undefined,
          pollIntervalMs: POLL_INTERVAL_MS,
          initialWaitMs,
          allowPrivateNetwork: true,
          providerRateLimits: {},
          providerConcurrency: {},
        },
        environment: providers.environment,
        workflowBundle,
      });
    const taskQueues = { polling: 'klingflow-histories', sleeping: 'klingflow-histories-sleeping' };
    const polling = await createWorker(taskQueues.polling, 0);
    const sleeping = await createWorker(taskQueues.sleeping, 10 * 60_000);
    await mkdir(output, { recursive: true });

    const recordAll = async () => {
      for (const path of paths) {
        const context: PathContext = {
          providers,
          start: (input) =>
            client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
              taskQueue: taskQueues[path.worker ?? 'polling'],
              workflowId: historyWorkflowId(path.name),
              args: [{ ...input, request: REQUEST } satisfies GenerateVideoInput],
            }),
        };
        const handle = await path.run(context);
        const outcome = await within(
          60_000,
          handle.result().then(
            () => 'completed' as const,
            (error: unknown) =>
              (error as { cause?: { name?: string } }).cause?.name === 'CancelledFailure'
                ? ('cancelled' as const)
                : ('failed' as const),
          ),
        ).catch(async (error: unknown) => {
          // Stuck (e.g. a failing workflow task): end it, so nothing is left waiting on it.
          await handle.terminate('recording timed out').catch(() => {});
          throw new Error(`${path.name}: ${(error as Error).message}`);
        });
        if (outcome !== path.outcome) {
          throw new Error(
            `${path.name}: expected the workflow to end ${path.outcome}, not ${outcome}`,
          );
        }
        const history = await handle.fetchHistory();
        const json = historyToJson(history);
        await writeFile(join(output, `${path.name}.json`), json);
        console.log(
          `${path.name}: ${history.events?.length ?? 0} events, ${json.length} bytes (${outcome})`,
        );
        providers.fakes.hyprlab.clearFaults();
        providers.fakes.kling.clearFaults();
        providers.fakes.fal.clearFaults();
      }
    };
    const recordBatches = () =>
      recordBatchHistories({
        connection,
        client,
        taskQueue: taskQueues.polling,
        storageDirectory: join(directory, 'videos'),
        output,
      });
    await polling.runUntil(() => sleeping.runUntil(batches ? recordBatches : recordAll));
  } finally {
    await workerConnection.close().catch(() => {});
    await connection.close();
    await providers.stop();
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** The batch workflow's histories, batches started through the client as users start them. */
async function recordBatchHistories(options: {
  connection: Connection;
  client: Client;
  taskQueue: string;
  storageDirectory: string;
  output: string;
}): Promise<void> {
  const { client, output } = options;
  const klingflow = new KlingflowClient({
    connection: options.connection,
    taskQueue: options.taskQueue,
    storage: createFilesystemStorage({ rootDirectory: options.storageDirectory }),
    availableProviders: ['hyprlab'],
  });
  const items: BatchEntry[] = Array.from({ length: 6 }, (_, index) => ({
    line: index + 1,
    request: { prompt: `shot ${index + 1}: a cat in a garden`, model: 'kling-v1.6' },
  }));
  for (const [name, batchOptions] of BATCH_PATHS) {
    const batchId = `history-batch-${name}`;
    await klingflow.startBatch(items, { batchId, concurrency: 2, ...batchOptions });
    const result = await within(60_000, klingflow.waitForBatch(batchId, { intervalMs: 200 }));
    if (result.succeeded !== items.length) throw new Error(`batch ${name}: not all succeeded`);
    const history = await client.workflow.getHandle(batchWorkflowId(batchId)).fetchHistory();
    const json = historyToJson(history);
    await writeFile(join(output, `${name}.json`), json);
    console.log(`batch ${name}: ${history.events?.length ?? 0} events, ${json.length} bytes`);
  }
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** The promise, or an error if it takes longer than `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the condition holds (checked every 50 ms), for at most 20 s. */
async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
