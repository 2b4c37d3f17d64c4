import type { Connection } from '@temporalio/client';
import type { ProviderId } from '../../src/request/unified-request.js';
import type { SimulatedProviderSet } from '../../src/simulated/index.js';
import type { RunningDevServer } from '../../src/temporal/dev-server.js';
import type { KlingflowProcess } from '../../test/support/processes.js';
import { NAMESPACE, TASK_QUEUE } from './options.js';
import { pick, seededRandom, shuffled } from './random.js';
import { roundSeconds } from './report.js';
import { sleep, type WorkerSupervisor } from './supervisor.js';
import type { SoakKill, SoakRestart, SoakStop } from './types.js';

/** Worker SIGKILLs, graceful worker stops (SIGTERM) and dev-server restarts, at seeded moments. */

export type ChaosEvent = 'kill' | 'stop' | 'restart';

/** A graceful stop is waited for this long (the submit grace is 90 s) before SIGKILL. */
const GRACEFUL_STOP_BOUND_MS = 150_000;
/** How long a slow submit is held open, and how long a stop waits for one to arrive. */
const SLOW_SUBMIT_MS = 8_000;
const SLOW_SUBMIT_WAIT_MS = 10_000;

/**
 * Kill, stop and restart moments: the active part of the run is cut into one slot per event, and
 * each event happens at a random moment in the first 70% of its slot, so they never pile up.
 */
export function chaosSchedule(
  settings: {
    workerKills: number;
    workerStops: number;
    serverRestarts: number;
    waves: number;
    waveIntervalMs: number;
    renderMs: [number, number];
  },
  seed: number,
): { event: ChaosEvent; atMs: number }[] {
  const random = seededRandom(seed ^ 0x5bd1e995);
  const events = shuffled(random, [
    ...Array.from({ length: settings.workerKills }, (): ChaosEvent => 'kill'),
    ...Array.from({ length: settings.workerStops }, (): ChaosEvent => 'stop'),
    ...Array.from({ length: settings.serverRestarts }, (): ChaosEvent => 'restart'),
  ]);
  const activeMs = (settings.waves - 1) * settings.waveIntervalMs + settings.renderMs[1] * 4;
  const firstMs = Math.min(3_000, activeMs / 10);
  const slotMs = (activeMs - firstMs) / Math.max(1, events.length);
  return events.map((event, slot) => ({
    event,
    atMs: firstMs + slot * slotMs + random() * slotMs * 0.7,
  }));
}

export interface ChaosContext {
  supervisor: WorkerSupervisor;
  providers: SimulatedProviderSet;
  providerIds: ProviderId[];
  server: { current: RunningDevServer; start(): Promise<RunningDevServer> };
  connection: Connection;
  seed: number;
  say: (message: string) => void;
  sinceStart: (at?: number) => number;
  notes: string[];
  kills: SoakKill[];
  stops: SoakStop[];
  restarts: SoakRestart[];
}

export function runChaosEvent(context: ChaosContext, event: ChaosEvent): Promise<void> {
  if (event === 'kill') return killWorker(context);
  if (event === 'stop') return stopWorker(context);
  return restartServer(context);
}

async function killWorker(context: ChaosContext): Promise<void> {
  const { supervisor, say } = context;
  const at = Date.now();
  const victim = await supervisor.kill();
  await supervisor.launch();
  const kill: SoakKill = {
    atSeconds: context.sinceStart(at),
    pid: victim?.child.pid,
    replacedAfterSeconds: roundSeconds(Date.now() - at),
  };
  context.kills.push(kill);
  say(
    `SIGKILL worker pid ${kill.pid}; worker ${supervisor.launched} connected ${kill.replacedAfterSeconds} s later`,
  );
}

/**
 * A deploy's stop: the next submit at a random provider is answered only after a while (the
 * provider took it at once), SIGTERM goes out while it is in flight, and a new worker starts once
 * the old one has exited. The submit must finish and its task must be in the job's ledger.
 */
async function stopWorker(context: ChaosContext): Promise<void> {
  const { supervisor, say } = context;
  const random = seededRandom(context.seed ^ ((context.stops.length + 1) * 0x9e3779b9));
  const provider = pick(random, context.providerIds);
  const fake = context.providers.fakes[provider];
  const before = fake.requestsFor('submit').length;
  fake.injectFault({
    route: 'submit',
    fault: { type: 'accept-then-delay', ms: SLOW_SUBMIT_MS },
    times: 1,
  });
  const waitUntil = Date.now() + SLOW_SUBMIT_WAIT_MS;
  while (fake.requestsFor('submit').length === before && Date.now() < waitUntil) await sleep(100);
  const inFlight = fake.requestsFor('submit').length > before;
  // A slow answer not taken now delays some later submit at that provider: harmless.
  if (inFlight) await sleep(500);
  const victim: KlingflowProcess | undefined = supervisor.current;
  const at = Date.now();
  const exit = await supervisor.stopGracefully(GRACEFUL_STOP_BOUND_MS);
  await supervisor.launch();
  const stop: SoakStop = {
    atSeconds: context.sinceStart(at),
    pid: victim?.child.pid,
    slowSubmitAt: inFlight ? provider : undefined,
    exitedAfterSeconds: roundSeconds(exit?.exitedAfterMs ?? 0),
    exit: !exit
      ? 'was not running'
      : exit.forced
        ? 'killed after the bound'
        : exit.signal
          ? exit.signal
          : `code ${exit.code}`,
    forced: exit?.forced ?? false,
    replacedAfterSeconds: roundSeconds(Date.now() - at),
  };
  context.stops.push(stop);
  say(
    `SIGTERM worker pid ${stop.pid}${inFlight ? ` with a slow submit at ${provider} in flight` : ''}; exited (${stop.exit}) after ${stop.exitedAfterSeconds} s, worker ${supervisor.launched} connected ${stop.replacedAfterSeconds} s after the SIGTERM`,
  );
}

async function restartServer(context: ChaosContext): Promise<void> {
  const { supervisor, say, server } = context;
  const at = Date.now();
  await server.current.stop();
  const stopped = Date.now();
  server.current = await server.start();
  const started = Date.now();
  say(
    `dev server stopped (${roundSeconds(stopped - at)} s) and started again on ${server.current.address} (${roundSeconds(started - stopped)} s)`,
  );
  const survivor = supervisor.current;
  let reconnectedByItself = await workerIsBack(context, survivor, started, 60_000);
  if (!reconnectedByItself || !supervisor.isAlive(survivor)) {
    reconnectedByItself = false;
    context.notes.push(
      `the worker did not serve the restarted dev server within 60 s; a new worker was started at ${context.sinceStart()} s`,
    );
    await supervisor.kill();
    await supervisor.launch();
  }
  const restart: SoakRestart = {
    atSeconds: context.sinceStart(at),
    stopSeconds: roundSeconds(stopped - at),
    startSeconds: roundSeconds(started - stopped),
    workerBackAfterSeconds: roundSeconds(Date.now() - at),
    workerReconnectedByItself: reconnectedByItself,
  };
  context.restarts.push(restart);
  say(
    reconnectedByItself
      ? `the worker reconnected by itself ${restart.workerBackAfterSeconds} s after the stop`
      : 'the worker had to be restarted after the server restart',
  );
}

/**
 * True once the worker serves the restarted server: a poller shows up on the task queue, or a
 * provider call is made well after the server came back (activities only run when dispatched).
 */
async function workerIsBack(
  context: ChaosContext,
  worker: KlingflowProcess | undefined,
  serverStartedAt: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return false;
    try {
      const response = await context.connection.workflowService.describeTaskQueue({
        namespace: NAMESPACE,
        taskQueue: { name: TASK_QUEUE, kind: 1 },
        taskQueueType: 1,
      });
      if ((response.pollers?.length ?? 0) > 0) return true;
    } catch {
      // The server may still be warming up.
    }
    const recent = Object.values(context.providers.fakes).some((fake) =>
      fake.requests.some((request) => request.at > serverStartedAt + 2_000),
    );
    if (recent) return true;
    await sleep(250);
  }
  return false;
}
