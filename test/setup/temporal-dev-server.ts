import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { workflowInterceptorModules } from '../../src/observability/worker-telemetry.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';
import { TEST_WORKFLOW_BUNDLES } from '../support/child-environment.js';
import { freePort } from '../support/free-port.js';

/** bench/ imports it from here. */
export { freePort } from '../support/free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** The workflow code a worker with tracing off loads (the default): no span interceptors. */
    workflowBundlePath: string;
    /** The same with OpenTelemetry's workflow interceptors: workers with tracing on. */
    tracedWorkflowBundlePath: string;
  }
}

/**
 * One real Temporal dev server (the CLI, SQLite) for the whole test run, and the workflow code
 * bundled once; every integration file connects to both instead of starting its own. Two
 * bundles, as `npm run build` ships: test workers run the untraced one, like a worker with
 * tracing off, since the span interceptors cost CPU on every workflow task (about a sixth of the
 * workflow thread's time in a large batch); tracing tests and recorded histories use the other.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = await mkdtemp(join(tmpdir(), 'klingflow-test-'));
  const workflowBundlePath = join(directory, 'workflow-bundle-untraced.js');
  const tracedWorkflowBundlePath = join(directory, 'workflow-bundle.js');
  // The server boots while webpack bundles: the run's first seconds, when nothing else runs.
  const [started, bundled] = await Promise.allSettled([
    startDevServer({
      port: await freePort(),
      headless: true,
      dbFilename: join(directory, 'temporal.db'),
      // The run's server is thrown away afterwards: no fsync per write (WAL, synchronous off).
      // It cuts the server's CPU per workflow by more than half (a 200-item batch: 41 s → 17 s).
      sqlitePragmas: { journal_mode: 'wal', synchronous: 'off' },
      // One partition per task queue, as one host needs: with the default four, polls and tasks
      // are forwarded between partitions (a 2000-item batch: 220 → 204 CPU seconds).
      dynamicConfig: {
        'matching.numTaskqueueReadPartitions': 1,
        'matching.numTaskqueueWritePartitions': 1,
      },
      output: 'ignore',
      log: (message) => console.error(`[temporal] ${message}`),
    }),
    Promise.all([
      writeBundle(workflowBundlePath, { traced: false }),
      writeBundle(tracedWorkflowBundlePath, { traced: true }),
    ]),
  ]);
  if (started.status === 'rejected' || bundled.status === 'rejected') {
    // A failed setup gets no teardown call: stop the server here or it outlives the run.
    if (started.status === 'fulfilled') await started.value.stop();
    await rm(directory, { recursive: true, force: true });
    throw started.status === 'rejected'
      ? started.reason
      : (bundled as PromiseRejectedResult).reason;
  }
  const server = started.value;
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('tracedWorkflowBundlePath', tracedWorkflowBundlePath);
  // Worker processes the tests spawn load these bundles too (child-environment.ts) instead of
  // running webpack at each start: about 3 CPU seconds a worker, some 23 starts a run.
  process.env[TEST_WORKFLOW_BUNDLES] = directory;
  return async () => {
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  };
}

/** Bundles this checkout's workflow code, with or without the span interceptors, to `path`. */
async function writeBundle(path: string, { traced }: { traced: boolean }): Promise<void> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: workflowInterceptorModules(traced),
    logger: quietLogger,
  });
  await writeFile(path, bundle.code);
}

/** A bundler logger that keeps warnings and errors only. */
export const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
