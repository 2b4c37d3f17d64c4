import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { BatchResult } from '../../src/contracts/batch.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { type RunningDevServer, startDevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../../test/setup/temporal-dev-server.js';
import { childEnvironment } from '../../test/support/child-environment.js';
import { megabytes } from '../lib/process-stats.js';
import { type ChaosContext, chaosSchedule, runChaosEvent } from './chaos.js';
import { check } from './check.js';
import { applyPlansToTasks, startImageServer, VIDEO_KIB } from './fixtures.js';
import {
  type JobReport,
  mapLimited,
  readBatch,
  readJob,
  startBatch,
  startJob,
  waitUntilAllClosed,
} from './jobs.js';
import {
  POLL_INTERVAL_MS,
  resolveSettings,
  type SoakOptions,
  type SoakSettings,
  TASK_QUEUE,
} from './options.js';
import { jobIndexOf, planJobs, type SoakPlan } from './plan.js';
import { roundSeconds } from './report.js';
import {
  batchFigures,
  moneyChecks,
  type SpendFindings,
  skippedItemIds,
  spendFindings,
} from './spend-checks.js';
import { summarize } from './summarize.js';
import { sleep, WorkerSupervisor } from './supervisor.js';
import type { SoakBatchFigures, SoakCheck, SoakResult } from './types.js';
import { tasksByJob, verifyJobs } from './verify.js';

export type { SoakOptions } from './options.js';
export { parseSoakSeed } from './options.js';
export type { SoakResult } from './types.js';

/**
 * The soak: generations across the simulated providers with random faults, a real worker process
 * killed (SIGKILL) and stopped (SIGTERM) at random moments, the dev server restarted, a budgeted
 * batch under failover; then a check of every job, every provider task against the jobs' spend
 * ledgers, and every stored file. `npm run soak` (bench/soak.ts) and the short soak test run it.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const settings = resolveSettings(options);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const log = options.log ?? ((message: string) => console.error(`[soak] ${message}`));
  const startedAt = Date.now();
  const sinceStart = (at = Date.now()) => roundSeconds(at - startedAt);
  const say = (message: string) => log(`${sinceStart().toFixed(1).padStart(6)} s  ${message}`);
  say(
    `seed ${seed} (SOAK_SEED=${seed} repeats the plan): ${settings.jobs} jobs in ${settings.waves} waves (${settings.batchItems} in a budgeted batch), ${settings.workerKills} worker kills, ${settings.workerStops} graceful stops, ${settings.serverRestarts} server restart(s)`,
  );
  const workDirectory = await mkdtemp(join(tmpdir(), 'klingflow-soak-'));
  const run = new SoakRun(settings, seed, workDirectory, say, sinceStart);
  try {
    await run.execute();
  } finally {
    await run.close();
  }
  const passed = run.checks.length > 0 && run.checks.every((entry) => entry.passed);
  const keep = options.keepWorkDirectory || !passed;
  const result = summarize({
    seed,
    passed,
    checks: run.checks,
    notes: run.chaos.notes,
    settings,
    jobs: run.jobs,
    providers: run.providers!,
    spend: run.spend,
    batch: run.batch,
    skippedItems: run.skippedItems,
    kills: run.chaos.kills,
    stops: run.chaos.stops,
    restarts: run.chaos.restarts,
    unexpectedWorkerExits: run.workers?.unexpectedExits ?? 0,
    faultsInjected: run.faultsInjected,
    wallSeconds: run.wallSeconds,
    workerPeakRssMb: megabytes(run.workers?.peakRssBytes ?? 0),
    workDirectory: keep ? workDirectory : undefined,
  });
  if (keep) {
    await writeFile(join(workDirectory, 'soak-result.json'), JSON.stringify(run.jobs, null, 2));
    say(`kept ${workDirectory} (database, videos, worker logs, soak-result.json)`);
  } else {
    await rm(workDirectory, { recursive: true, force: true });
  }
  for (const entry of run.checks)
    say(`${entry.passed ? 'pass' : 'FAIL'}  ${entry.name}: ${entry.detail}`);
  for (const line of result.diagnoses) say(`diagnosis: ${line}`);
  return result;
}

/** One run's moving parts and what it found; `execute` then `close`. */
class SoakRun {
  providers: SimulatedProviderSet | undefined;
  workers: WorkerSupervisor | undefined;
  checks: SoakCheck[] = [];
  jobs: JobReport[] = [];
  spend: SpendFindings | undefined;
  batch: SoakBatchFigures | undefined;
  skippedItems = new Set<string>();
  faultsInjected: Record<string, number> = {};
  wallSeconds = 0;
  readonly chaos: Pick<ChaosContext, 'notes' | 'kills' | 'stops' | 'restarts'> = {
    notes: [],
    kills: [],
    stops: [],
    restarts: [],
  };
  private server: { current: RunningDevServer; start(): Promise<RunningDevServer> } | undefined;
  private connection: Connection | undefined;
  private imageServer: Awaited<ReturnType<typeof startImageServer>> | undefined;
  private readonly storageDirectory: string;

  constructor(
    private readonly settings: SoakSettings,
    private readonly seed: number,
    private readonly workDirectory: string,
    private readonly say: (message: string) => void,
    private readonly sinceStart: (at?: number) => number,
  ) {
    this.storageDirectory = join(workDirectory, 'videos');
  }

  async execute(): Promise<void> {
    const { settings, say } = this;
    const logDirectory = join(this.workDirectory, 'worker-logs');
    await mkdir(logDirectory, { recursive: true });
    this.imageServer = await startImageServer();
    const imageUrl = `http://127.0.0.1:${(this.imageServer.address() as AddressInfo).port}/frames/first.png`;
    const plan = planJobs(settings, this.seed, imageUrl);
    const providers = await startSimulatedProviders({
      renderMs: settings.renderMs[1],
      only: settings.providers,
    });
    this.providers = providers;
    for (const id of settings.providers) {
      providers.fakes[id].setVideoSize(VIDEO_KIB[id] * 1024);
      applyPlansToTasks(id, providers.fakes[id], plan.jobs);
    }
    // A fixed port and SQLite file, so the restarted server is the same server to everyone.
    const port = await freePort();
    const dbFilename = join(this.workDirectory, 'temporal.db');
    const start = () => startDevServer({ port, headless: true, dbFilename, output: 'ignore' });
    this.server = { current: await start(), start };
    say(`dev server at ${this.server.current.address} (SQLite ${dbFilename})`);
    this.connection = await Connection.connect({ address: this.server.current.address });
    const client = new Client({ connection: this.connection, namespace: 'default' });
    this.workers = new WorkerSupervisor(
      childEnvironment({
        ...providers.environment,
        TEMPORAL_ADDRESS: this.server.current.address,
        KLINGFLOW_TASK_QUEUE: TASK_QUEUE,
        KLINGFLOW_STORAGE_DIR: this.storageDirectory,
        KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
        KLINGFLOW_POLL_INTERVAL: `${POLL_INTERVAL_MS}ms`,
        KLINGFLOW_INITIAL_WAIT: `${settings.renderMs[0]}ms`,
      }),
      logDirectory,
      say,
      this.chaos.notes,
    );
    const first = await this.workers.launch();
    say(`worker 1 up (pid ${first.child.pid})`);
    await this.startAndDisrupt(client, plan);
    const open = await waitUntilAllClosed(client, Date.now() + settings.closeTimeoutMs, say);
    this.wallSeconds = this.sinceStart();
    say(
      open === 0
        ? 'every job has closed; verifying'
        : `${open} job(s) still open ${roundSeconds(settings.closeTimeoutMs)} s after the last wave; verifying`,
    );
    await this.verify(client, plan);
  }

  /** The waves of jobs (and the batch) and, at the same time, the kills, stops and restarts. */
  private async startAndDisrupt(client: Client, plan: SoakPlan): Promise<void> {
    const { settings, say } = this;
    const providers = this.providers!;
    const context: ChaosContext = {
      ...this.chaos,
      supervisor: this.workers!,
      providers,
      providerIds: settings.providers,
      server: this.server!,
      connection: this.connection!,
      seed: this.seed,
      say,
      sinceStart: this.sinceStart,
    };
    const runStart = Date.now();
    const schedule = chaosSchedule(settings, this.seed);
    say(
      `kill/stop/restart moments (s since the soak started): ${schedule.map(({ event, atMs }) => `${event} ${this.sinceStart(runStart + atMs)}`).join(', ')}`,
    );
    const chaos = (async () => {
      for (const { event, atMs } of schedule) {
        await sleep(runStart + atMs - Date.now());
        await context.supervisor.exclusively(() => runChaosEvent(context, event));
      }
    })();
    const waves = (async () => {
      for (let wave = 0; wave < settings.waves; wave++) {
        await sleep(runStart + wave * settings.waveIntervalMs - Date.now());
        const inWave = plan.jobs.filter((job) => job.wave === wave);
        for (const job of inWave) {
          // The fault goes in just before the job starts: it hits the provider's next such call.
          if (job.fault) {
            for (const rule of job.fault.rules)
              providers.fakes[job.fault.provider].injectFault(rule);
            this.faultsInjected[job.fault.kind] = (this.faultsInjected[job.fault.kind] ?? 0) + 1;
          }
          if (job.batchId === undefined) await startJob(client, job);
        }
        if (plan.batch && inWave.some((job) => job.batchId !== undefined)) {
          await startBatch(client, plan.batch);
          say(`budgeted batch ${plan.batch.batchId} started: max cost $${plan.batch.maxCost}`);
        }
        say(`wave ${wave + 1}: started ${inWave.length} jobs`);
      }
    })();
    const [chaosOutcome, wavesOutcome] = await Promise.allSettled([chaos, waves]);
    if (wavesOutcome.status === 'rejected') throw wavesOutcome.reason;
    if (chaosOutcome.status === 'rejected')
      this.chaos.notes.push(`the kill/stop/restart schedule stopped early: ${chaosOutcome.reason}`);
  }

  private async verify(client: Client, plan: SoakPlan): Promise<void> {
    const providers = this.providers!;
    const { settings } = this;
    this.jobs = await mapLimited(plan.jobs, 16, (job) => readJob(client, job));
    for (const id of settings.providers) {
      for (const request of providers.fakes[id].requestsFor('submit')) {
        const index = jobIndexOf(request.body);
        const job = index === undefined ? undefined : this.jobs[index];
        job?.submits.push({ provider: id, atSeconds: this.sinceStart(request.at) });
      }
    }
    let batchResult: BatchResult | undefined;
    let batchProblem: string | undefined;
    if (plan.batch) {
      ({ result: batchResult, problem: batchProblem } = await readBatch(
        client,
        plan.batch.batchId,
      ));
      const items = this.jobs.filter((job) => job.plan.batchId !== undefined);
      this.batch = batchFigures(plan.batch.batchId, plan.batch.maxCost, items, batchResult);
    }
    this.skippedItems = skippedItemIds(batchResult);
    const created = tasksByJob(providers, settings.providers);
    this.spend = spendFindings(this.jobs, (report) => created.get(report.plan.index) ?? []);
    this.checks = [
      ...(await verifyJobs({
        jobs: this.jobs,
        providers,
        settings,
        storageDirectory: this.storageDirectory,
        skippedItems: this.skippedItems,
      })),
      ...moneyChecks(
        this.spend,
        this.batch
          ? { figures: this.batch, ...(batchProblem ? { problem: batchProblem } : {}) }
          : undefined,
      ),
      ...this.chaosChecks(),
    ];
  }

  private chaosChecks(): SoakCheck[] {
    const { settings } = this;
    const { kills, stops, restarts } = this.chaos;
    const missing = [
      [kills.length, settings.workerKills, 'kills'],
      [stops.length, settings.workerStops, 'graceful stops'],
      [restarts.length, settings.serverRestarts, 'restarts'],
    ].flatMap(([done, planned, what]) =>
      done === planned ? [] : [`${done} of ${planned} ${what}`],
    );
    return [
      check(
        'the planned kills, stops and restarts happened',
        missing,
        `${kills.length} SIGKILLs, ${stops.length} SIGTERMs, ${restarts.length} server restart(s)`,
      ),
      check(
        'every graceful stop ended by itself',
        stops
          .filter((stop) => stop.forced || stop.exit !== 'code 0')
          .map((stop) => `SIGTERM at ${stop.atSeconds} s: ${stop.exit}`),
        `${stops.length} SIGTERM(s): each worker exited with code 0 (longest ${Math.max(0, ...stops.map((stop) => stop.exitedAfterSeconds))} s)`,
      ),
    ];
  }

  async close(): Promise<void> {
    await this.workers?.shutdown();
    await this.connection?.close().catch(() => {});
    await this.server?.current.stop().catch(() => {});
    await this.providers?.stop().catch(() => {});
    const image = this.imageServer;
    if (image) await new Promise<void>((resolveClose) => image.close(() => resolveClose()));
  }
}
