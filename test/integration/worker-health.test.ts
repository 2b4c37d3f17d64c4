import { writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type HealthServer, startHealthServer } from '../../src/observability/health-server.js';
import {
  checkWorkerReadiness,
  type ReadinessReport,
} from '../../src/observability/worker-readiness.js';
import { createKlingflowWorker } from '../../src/worker.js';
import { s3Environment } from '../setup/s3-server.js';
import { childEnvironment } from '../support/child-environment.js';
import { freePort } from '../support/free-port.js';
import {
  endProcesses,
  runKlingflow,
  runningProcesses,
  spawnKlingflow,
} from '../support/processes.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

/** `klingflow ARGS` with no Temporal server to reach: what it refuses, or says, before connecting. */
function runWithoutTemporal(args: string[], variables: NodeJS.ProcessEnv) {
  return runKlingflow(args, childEnvironment({ TEMPORAL_ADDRESS: '127.0.0.1:1', ...variables }));
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

async function readiness(port: number): Promise<{ status: number; report: ReadinessReport }> {
  const { status, body } = await get(port, '/readyz');
  return { status, report: JSON.parse(body) as ReadinessReport };
}

describe('/healthz and /readyz against a real worker', () => {
  let context: IntegrationContext;
  let health: HealthServer | undefined;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['apimodels', 'kling'] });
  });

  afterEach(async () => {
    await health?.close();
    health = undefined;
    await context.teardown();
    const orphans = runningProcesses().length;
    await endProcesses();
    expect(orphans).toBe(0);
  });

  it('is ready only while every worker polls, and says which one is not', async () => {
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    try {
      const worker = await createKlingflowWorker({
        connection,
        namespace: 'default',
        settings: context.settings,
        environment: context.providers.environment,
        workflowBundle: { codePath: inject('workflowBundlePath') },
      });
      health = await startHealthServer({
        port: 0,
        host: '127.0.0.1',
        readiness: () => checkWorkerReadiness(worker, connection),
      });
      const port = health.port;
      expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });

      // Created but not running yet: Temporal answers, the workers do not poll.
      const before = await readiness(port);
      expect(before.status).toBe(503);
      expect(before.report.temporal).toBe(true);
      expect(before.report.workers.map((each) => each.name).sort()).toEqual(
        ['apimodels', 'kling', 'main'].sort(),
      );
      expect(before.report.workers.every((each) => each.state === 'INITIALIZED')).toBe(true);

      const running = worker.run();
      const ready = await waitUntil('the worker is ready', async () => {
        const answer = await readiness(port);
        return answer.status === 200 ? answer.report : undefined;
      });
      expect(ready).toMatchObject({ ready: true, temporal: true });
      expect(ready.workers.every((each) => each.state === 'RUNNING' && each.polling)).toBe(true);

      worker.shutdown();
      await running;
      const after = await readiness(port);
      expect(after.status).toBe(503);
      expect(after.report.workers.every((each) => each.state === 'STOPPED')).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('`klingflow worker --metrics-port` serves both endpoints, and KLINGFLOW_METRICS_PORT does too', async () => {
    const environment = childEnvironment({
      ...context.providers.environment,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_TASK_QUEUE: context.taskQueue,
      KLINGFLOW_STORAGE_DIR: context.storageDirectory,
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    });
    for (const variant of ['flag', 'environment'] as const) {
      const port = await freePort();
      const worker =
        variant === 'flag'
          ? spawnKlingflow(['worker', '--metrics-port', String(port)], environment)
          : spawnKlingflow(['worker'], { ...environment, KLINGFLOW_METRICS_PORT: String(port) });
      await worker.waitForOutput(new RegExp(`health and metrics on port ${port}`));
      expect((await get(port, '/healthz')).status).toBe(200);
      const ready = await waitUntil(
        `${variant}: /readyz says ready`,
        async () => (await readiness(port)).status === 200,
        { processes: [worker], timeoutMs: 60_000 },
      );
      expect(ready).toBe(true);
      expect((await get(port, '/nothing')).status).toBe(404);
      const exit = await worker.kill('SIGTERM');
      expect(exit.code).toBe(0);
      // The port is released with the worker.
      await expect(get(port, '/healthz')).rejects.toThrow();
    }
  });

  it('with no provider key refuses to start (exit 2), unless KLINGFLOW_SIMULATED=1 asks for the demo', async () => {
    const refused = await runWithoutTemporal(['worker'], {});
    expect(refused.code, refused.output).toBe(2);
    expect(refused.stderr).toContain(
      'KLINGFLOW_SIMULATED: not set, and no provider API key is set (HYPRLAB_API_KEY, ',
    );

    const demo = spawnKlingflow(
      ['worker'],
      childEnvironment({
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        KLINGFLOW_TASK_QUEUE: context.taskQueue,
        KLINGFLOW_STORAGE_DIR: context.storageDirectory,
        KLINGFLOW_SIMULATED: '1',
      }),
    );
    await demo.waitForOutput(/using the built-in simulated providers/);
    await demo.waitForOutput(/worker connected to/);
    expect((await demo.kill('SIGTERM')).code, demo.output).toBe(0);
  });

  it('says a TEMPORAL_NAMESPACE the server lacks, exit 3, from the worker and the client alike', async () => {
    const environment = childEnvironment({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: 'no-such-namespace',
      KLINGFLOW_SIMULATED: '1',
    });
    const expected =
      'TEMPORAL_NAMESPACE: the Temporal server has no namespace "no-such-namespace": create it';
    // The worker exits (before, Worker.create's failure left the SDK's threads running for ever).
    const worker = await runKlingflow(['worker'], environment);
    expect(worker.code, worker.output).toBe(3);
    expect(worker.stderr).toContain(expected);
    const client = await runKlingflow(['generate', '--prompt', 'a fox'], environment);
    expect(client.code, client.output).toBe(3);
    expect(client.stderr).toContain(expected);
  });

  it('refuses to start on storage it cannot write (exit 2): no job is taken and paid for first', async () => {
    const base = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_TASK_QUEUE: context.taskQueue,
      KLINGFLOW_SIMULATED: '1',
    };
    const missingBucket = await runKlingflow(
      ['worker'],
      childEnvironment({
        ...base,
        KLINGFLOW_STORAGE_DIR: context.storageDirectory,
        ...s3Environment(inject('s3Endpoint'), 'health/'),
        KLINGFLOW_STORAGE: 's3://no-such-bucket/videos',
      }),
    );
    expect(missingBucket.code, missingBucket.output).toBe(2);
    expect(missingBucket.stderr).toContain(
      'KLINGFLOW_STORAGE: cannot store videos there: s3://no-such-bucket: the bucket does not exist',
    );

    const blocker = join(context.storageDirectory, 'a-file');
    await writeFile(blocker, 'not a directory');
    const underAFile = await runKlingflow(
      ['worker'],
      childEnvironment({ ...base, KLINGFLOW_STORAGE_DIR: join(blocker, 'videos') }),
    );
    expect(underAFile.code, underAFile.output).toBe(2);
    expect(underAFile.stderr).toContain(
      'KLINGFLOW_STORAGE_DIR: cannot store videos there: ENOTDIR',
    );
    expect(underAFile.stderr).not.toContain('worker connected');
  });

  it('says at start which providers KLINGFLOW_PROVIDERS lists that it has no key for', async () => {
    const result = await runWithoutTemporal(['worker'], {
      HYPRLAB_API_KEY: 'hl-test-key',
      KLINGFLOW_PROVIDERS: 'kling,hyprlab,fal',
    });
    expect(result.code, result.output).toBe(3);
    expect(result.stderr).toContain(
      'KLINGFLOW_PROVIDERS lists kling, fal, which this worker has no key for: the jobs it plans skip them (set KLING_ACCESS_KEY + KLING_SECRET_KEY, FAL_KEY)',
    );
  });

  it('refuses a provider base URL on a loopback address unless KLINGFLOW_ALLOW_PRIVATE_NETWORK (exit 2)', async () => {
    const result = await runWithoutTemporal(['worker'], {
      HYPRLAB_API_KEY: 'hl-test-key',
      HYPRLAB_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain(
      'HYPRLAB_BASE_URL: 127.0.0.1 is a private or loopback address; set KLINGFLOW_ALLOW_PRIVATE_NETWORK=1 to allow it',
    );
    // Allowed, it goes on to connect (and finds no Temporal there: exit 3).
    const allowed = await runWithoutTemporal(['worker'], {
      HYPRLAB_API_KEY: 'hl-test-key',
      HYPRLAB_BASE_URL: 'http://127.0.0.1:9/v1',
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    });
    expect(allowed.code, allowed.output).toBe(3);
  });

  it('refuses a malformed KLINGFLOW_NOTIFY_SECRET before connecting (exit 2), without echoing it', async () => {
    const result = await runWithoutTemporal(['worker'], {
      KLINGFLOW_SIMULATED: '1',
      KLINGFLOW_NOTIFY_SECRET: 'notify-secret-123',
    });
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain('KLINGFLOW_NOTIFY_SECRET: must be whsec_ followed by base64');
    expect(result.output).not.toContain('notify-secret-123');
  });

  it('exits 2 naming --metrics-port when another process holds that port', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const result = await runWithoutTemporal(['worker', '--metrics-port', String(port)], {
        KLINGFLOW_SIMULATED: '1',
      });
      expect(result.code, result.output).toBe(2);
      expect(result.stderr).toContain(
        `--metrics-port: cannot serve health and metrics on port ${port}: it is already in use`,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('refuses a metrics port that is not a port number before connecting (exit 2)', async () => {
    const result = await runWithoutTemporal(['worker', '--metrics-port', '70000'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--metrics-port');
  });
});
