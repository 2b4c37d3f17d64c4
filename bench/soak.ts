/**
 * `npm run soak`: 300 generations across the simulated providers with random faults, a real
 * worker process killed with SIGKILL five times and the Temporal dev server restarted once, then
 * a check of every job, every provider task and every stored file. Exits non-zero when a check
 * fails, and writes a `## Soak` section at the end of BENCHMARKS.md.
 *
 *   SOAK_SEED=1234 npm run soak      # the same plan, faults and kill moments as an earlier run
 *   SOAK_JOBS=60 npm run soak        # a smaller run (waves, kills and restart stay)
 *
 * `runSoak(options)` is also what test/e2e/soak-short.test.ts runs, with fewer jobs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  type AttemptErrorKind,
  type AttemptRecord,
  FailureTypes,
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../src/contracts/generation.js';
import { statusQuery } from '../src/contracts/messages.js';
import { catalogProviders, checkRequestAgainstProviders } from '../src/providers/catalog.js';
import type { ModelOffer } from '../src/providers/provider.js';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import type { ProviderId, UnifiedRequest } from '../src/request/unified-request.js';
import { ASPECT_RATIOS } from '../src/request/unified-request.js';
import { ai302ErrorBody } from '../src/simulated/302ai-fake.js';
import { apiFrameCreditsBody } from '../src/simulated/apiframe-fake.js';
import { apiModelsErrorBody } from '../src/simulated/apimodels-fake.js';
import type {
  FakeProviderServer,
  FakeTask,
  Fault,
  TaskOutcome,
} from '../src/simulated/fake-server.js';
import { falErrorBody } from '../src/simulated/fal-fake.js';
import { hyprLabErrorBody } from '../src/simulated/hyprlab-fake.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../src/simulated/index.js';
import { officialFault } from '../src/simulated/official-format-fake.js';
import { replicateErrorBody } from '../src/simulated/replicate-fake.js';
import { type RunningDevServer, startDevServer } from '../src/temporal/dev-server.js';
import { freePort } from '../test/setup/temporal-dev-server.js';
import { megabytes, monitorProcess, percentile } from './lib/process-stats.js';
import {
  roundSeconds,
  type SoakCheck,
  type SoakKill,
  type SoakProviderFigures,
  type SoakRestart,
  type SoakResult,
  soakMarkdown,
  writeSoakSection,
} from './lib/soak-report.js';
import { type SpawnedProcess, startWorkerProcess } from './lib/worker-process.js';

export type { SoakResult } from './lib/soak-report.js';

export interface SoakOptions {
  /** Jobs in the run (300). */
  jobs?: number;
  /** The jobs are started in this many waves (6) … */
  waves?: number;
  /** … this far apart (35 s). */
  waveIntervalMs?: number;
  /** Each task renders for a random time in this range (3–5 s). */
  renderMs?: [number, number];
  /** SIGKILLs of the worker process at random moments (5); a new one is started each time. */
  workerKills?: number;
  /** Stops and starts of the dev server on the same port and SQLite file (1). */
  serverRestarts?: number;
  /** Provider calls that never answer (3): each costs the 60 s HTTP headers timeout. */
  hangs?: number;
  /** Share of jobs that bring an HTTP fault on their first provider (0.3). */
  faultRate?: number;
  /** Share of jobs whose first provider's task fails (moderation or plain) or gets stuck (0.12). */
  taskFaultRate?: number;
  /** Attempt deadline of the jobs whose task gets stuck (20 s); others keep the default. */
  stuckAttemptDeadlineMs?: number;
  /** Every job must have closed this long after the last wave started (6 min). */
  closeTimeoutMs?: number;
  /** Seeds the plan, the faults and the kill and restart moments; random when absent. */
  seed?: number;
  providers?: ProviderId[];
  /** Keep the working directory (database, videos, worker logs); kept anyway when a check fails. */
  keepWorkDirectory?: boolean;
  log?: (message: string) => void;
}

export const SOAK_PROVIDERS: readonly ProviderId[] = [
  'hyprlab',
  'kling',
  'openai-hk',
  'apimodels',
  'apiframe',
  '302ai',
  'fal',
  'replicate',
];

const DEFAULTS = {
  jobs: 300,
  waves: 6,
  waveIntervalMs: 35_000,
  renderMs: [3_000, 5_000] as [number, number],
  workerKills: 5,
  serverRestarts: 1,
  hangs: 3,
  faultRate: 0.3,
  taskFaultRate: 0.12,
  stuckAttemptDeadlineMs: 20_000,
  closeTimeoutMs: 6 * 60_000,
};

const POLL_INTERVAL_MS = 1_000;
const TASK_QUEUE = 'soak';
const NAMESPACE = 'default';

/** A 1×1 PNG: the first frame image-to-video jobs point at (302.AI uploads its bytes). */
const FIRST_FRAME_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Each provider serves a video of its own size, so a stored file shows where it came from. */
const VIDEO_KIB: Record<ProviderId, number> = {
  hyprlab: 600,
  kling: 700,
  'openai-hk': 800,
  apimodels: 900,
  apiframe: 1000,
  '302ai': 1100,
  fal: 1200,
  replicate: 1300,
};

const MODERATION_MESSAGES = [
  'Failure to pass the risk control system',
  'The prompt was flagged by content moderation',
  'Content policy violation: sensitive content detected',
];
const PLAIN_FAILURE_MESSAGES = [
  'internal render error',
  'GPU node lost during rendering, please retry',
  'render worker crashed',
];

// ---------------------------------------------------------------------------------------------
// Seeded randomness.

/** mulberry32: small, fast and good enough to make a run reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;
const between = (random: Random, low: number, high: number) =>
  Math.round(low + random() * (high - low));
function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}
function weighted<T extends string>(random: Random, weights: Record<T, number>): T {
  const entries = Object.entries(weights) as [T, number][];
  let roll = random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [name, weight] of entries) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return entries[entries.length - 1]![0];
}

// ---------------------------------------------------------------------------------------------
// The plan: every job's request, route, render time, task outcome and fault, from the seed.

type TaskPlan = 'succeed' | 'moderation' | 'plain failure' | 'stuck';

type FaultKind =
  | 'submit 503, retried'
  | 'submit 5xx outage'
  | 'submit 429 + Retry-After'
  | 'credits exhausted'
  | 'status 500'
  | 'status 429 + Retry-After'
  | 'status malformed JSON'
  | 'submit malformed JSON'
  | 'submit accepted, connection cut'
  | 'download connection reset'
  | 'status hang';

interface PlannedFault {
  kind: FaultKind;
  provider: ProviderId;
  route: 'submit' | 'status' | 'download';
  fault: Fault;
  times: number;
}

interface JobPlan {
  index: number;
  workflowId: string;
  prompt: string;
  request: UnifiedRequest;
  route: ProviderId[];
  renderMs: number;
  wave: number;
  /** What happens to the job's task at its first provider. */
  task: TaskPlan;
  taskOutcome: TaskOutcome;
  attemptDeadlineMs: number | undefined;
  /** Injected into the first provider just before the job starts (it hits the next call). */
  fault: PlannedFault | undefined;
}

const FAULT_WEIGHTS: Record<Exclude<FaultKind, 'status hang'>, number> = {
  'submit 503, retried': 14,
  'submit 5xx outage': 5,
  'submit 429 + Retry-After': 14,
  'credits exhausted': 10,
  'status 500': 14,
  'status 429 + Retry-After': 8,
  'status malformed JSON': 12,
  'submit malformed JSON': 3,
  'submit accepted, connection cut': 3,
  'download connection reset': 8,
};

function isOfficial(provider: ProviderId): boolean {
  return provider === 'kling' || provider === 'openai-hk';
}

function creditsFault(provider: ProviderId): Fault {
  switch (provider) {
    case 'kling':
    case 'openai-hk':
      return officialFault(1102);
    case 'hyprlab':
      return {
        type: 'status',
        status: 402,
        body: hyprLabErrorBody('You have insufficient credits', 'insufficient_quota'),
      };
    case 'apimodels':
      return { type: 'status', status: 402, body: apiModelsErrorBody(402, 'Insufficient credits') };
    case 'apiframe':
      return { type: 'status', status: 402, body: apiFrameCreditsBody() };
    case '302ai':
      return { type: 'status', status: 402, body: ai302ErrorBody(-10010, 'Insufficient balance') };
    case 'fal':
      // reference/providers.md §6: an exhausted fal balance is HTTP 403 "User is locked".
      return { type: 'status', status: 403, body: falErrorBody('User is locked') };
    case 'replicate':
      return {
        type: 'status',
        status: 402,
        body: replicateErrorBody(402, 'You have insufficient credit', 'Insufficient credit'),
      };
  }
}

function plannedFault(kind: FaultKind, provider: ProviderId, random: Random): PlannedFault {
  const retryAfter = { 'retry-after': '1' };
  const make = (route: PlannedFault['route'], fault: Fault, times: number): PlannedFault => ({
    kind,
    provider,
    route,
    fault,
    times,
  });
  switch (kind) {
    case 'submit 503, retried':
      return make('submit', { type: 'status', status: 503 }, between(random, 1, 2));
    case 'submit 5xx outage':
      // More than the submit's five attempts: the job (or its neighbours) fail over.
      return make('submit', { type: 'status', status: 500 }, 6);
    case 'submit 429 + Retry-After':
      return make(
        'submit',
        isOfficial(provider)
          ? officialFault(1302, retryAfter)
          : { type: 'status', status: 429, headers: retryAfter },
        between(random, 1, 2),
      );
    case 'credits exhausted':
      return make('submit', creditsFault(provider), between(random, 2, 5));
    case 'status 500':
      return make('status', { type: 'status', status: 500 }, between(random, 1, 3));
    case 'status 429 + Retry-After':
      return make('status', { type: 'status', status: 429, headers: retryAfter }, 1);
    case 'status malformed JSON':
      return make('status', { type: 'malformed-json' }, between(random, 1, 2));
    case 'submit malformed JSON':
      return make('submit', { type: 'malformed-json' }, 1);
    case 'submit accepted, connection cut':
      return make('submit', { type: 'accept-then-cut' }, 1);
    case 'download connection reset':
      return make('download', { type: 'reset' }, 1);
    case 'status hang':
      return make('status', { type: 'hang' }, 1);
  }
}

/** A random request the provider can serve, from its catalog offers (what `providers` lists). */
function requestFor(
  provider: ProviderId,
  prompt: string,
  imageUrl: string,
  random: Random,
): { request: UnifiedRequest; servable: ProviderId[] } {
  const adapter = catalogProviders().find((candidate) => candidate.id === provider);
  if (!adapter) throw new Error(`no catalog entry for ${provider}`);
  for (let tries = 0; tries < 50; tries++) {
    const offer: ModelOffer = pick(random, adapter.capabilities.offers);
    const withImage =
      offer.startImage === 'required' || (offer.startImage === 'optional' && random() < 0.3);
    const fields: Record<string, unknown> = {
      prompt,
      model: offer.model,
      mode: pick(random, offer.modes),
      duration: pick(random, offer.durations),
      ...(withImage ? { startImage: imageUrl } : {}),
      ...(offer.aspectRatio === 'supported' && random() < 0.3
        ? { aspectRatio: pick(random, ASPECT_RATIOS) }
        : {}),
      ...(offer.cfgScale && random() < 0.2 ? { cfgScale: 0.5 } : {}),
      ...(random() < 0.2 ? { negativePrompt: 'blurry' } : {}),
    };
    const request = parseUnifiedRequest(fields);
    const { servable } = checkRequestAgainstProviders(request, SOAK_PROVIDERS);
    if (servable.includes(provider)) return { request, servable };
  }
  throw new Error(`found no request ${provider} can serve`);
}

function planJobs(
  settings: Required<
    Pick<
      SoakOptions,
      | 'jobs'
      | 'waves'
      | 'renderMs'
      | 'hangs'
      | 'faultRate'
      | 'taskFaultRate'
      | 'stuckAttemptDeadlineMs'
      | 'providers'
    >
  >,
  seed: number,
  imageUrl: string,
): JobPlan[] {
  const random = seededRandom(seed);
  const perWave = Math.ceil(settings.jobs / settings.waves);
  // Hangs go to early jobs: each costs a minute, which then overlaps the rest of the run.
  const hangJobs = new Set(
    shuffled(
      random,
      Array.from({ length: Math.max(1, Math.floor(settings.jobs * 0.4)) }, (_, index) => index),
    ).slice(0, settings.hangs),
  );
  const plans: JobPlan[] = [];
  for (let index = 0; index < settings.jobs; index++) {
    const primary = settings.providers[index % settings.providers.length]!;
    const prompt = `${jobToken(index)} a red fox running through fresh snow`;
    const { request, servable } = requestFor(primary, prompt, imageUrl, random);
    const fallbacks = shuffled(
      random,
      servable.filter((id) => id !== primary && settings.providers.includes(id)),
    ).slice(0, between(random, 0, 2));
    const taskRoll = random();
    const share = settings.taskFaultRate / 3;
    const task: TaskPlan =
      taskRoll < share
        ? 'moderation'
        : taskRoll < 2 * share
          ? 'plain failure'
          : taskRoll < 3 * share
            ? 'stuck'
            : 'succeed';
    const taskOutcome: TaskOutcome =
      task === 'moderation'
        ? { type: 'fail', message: pick(random, MODERATION_MESSAGES) }
        : task === 'plain failure'
          ? { type: 'fail', message: pick(random, PLAIN_FAILURE_MESSAGES) }
          : task === 'stuck'
            ? { type: 'stuck' }
            : { type: 'succeed' };
    const faultKind: FaultKind | undefined = hangJobs.has(index)
      ? 'status hang'
      : random() < settings.faultRate
        ? weighted(random, FAULT_WEIGHTS)
        : undefined;
    plans.push({
      index,
      workflowId: `soak-${seed}-${jobToken(index)}`,
      prompt,
      request,
      route: [primary, ...fallbacks],
      renderMs: between(random, settings.renderMs[0], settings.renderMs[1]),
      wave: Math.floor(index / perWave),
      task,
      taskOutcome,
      attemptDeadlineMs: task === 'stuck' ? settings.stuckAttemptDeadlineMs : undefined,
      fault: faultKind ? plannedFault(faultKind, primary, random) : undefined,
    });
  }
  return plans;
}

function jobToken(index: number): string {
  return `job${String(index).padStart(4, '0')}`;
}

/** The job a provider task belongs to, from the prompt the fake received. */
function jobIndexOf(task: Pick<FakeTask, 'request'>): number | undefined {
  const prompt = task.request.prompt;
  const match = typeof prompt === 'string' ? /\bjob(\d{4})\b/.exec(prompt) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * Gives each task its job's render time, and the planned outcome to the job's task at its first
 * provider: a per-job plan that does not depend on which job's request reaches a fake first.
 */
function applyPlansToTasks(provider: ProviderId, fake: FakeProviderServer, plans: JobPlan[]) {
  const createTask = fake.createTask.bind(fake);
  fake.createTask = (request, meta, id) => {
    const task = createTask(request, meta, id);
    const index = jobIndexOf(task);
    const plan = index === undefined ? undefined : plans[index];
    if (plan) {
      task.renderMs = plan.renderMs;
      if (plan.route[0] === provider) task.outcome = plan.taskOutcome;
    }
    return task;
  };
}

// ---------------------------------------------------------------------------------------------
// The run.

interface JobReport {
  plan: JobPlan;
  /** Workflow execution status name, or `missing`. */
  execution: string;
  status: GenerationStatus | undefined;
  /** Why the outcome could not be read, if it could not. */
  problem: string | undefined;
  seconds: number | undefined;
  /** Submit requests the fakes received for this job (seconds since the soak started). */
  submits: { provider: ProviderId; atSeconds: number }[];
}

const sleep = (milliseconds: number) =>
  new Promise<void>((resolveSleep) => setTimeout(resolveSleep, Math.max(0, milliseconds)));

/** The runner's environment minus anything klingflow reads (no real keys reach the worker). */
function workerBaseEnvironment(): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      !/^(TEMPORAL_|KLINGFLOW_|HYPRLAB_|OPENAI_HK_|KLING_|AI302_|APIMODELS_|APIFRAME_)/.test(name)
    )
      inherited[name] = value;
  }
  return { ...inherited, NO_COLOR: '1' };
}

/**
 * One `klingflow worker` process at a time. Kills, the server restart and replacing a worker that
 * died by itself take turns (`exclusively`), so a worker is never started against a stopped
 * server. Keeps each worker's output in the log directory and the peak RSS over all of them.
 */
class WorkerSupervisor {
  current: SpawnedProcess | undefined;
  launched = 0;
  unexpectedExits = 0;
  peakRssBytes = 0;
  private readonly expectedExits = new WeakSet<SpawnedProcess>();
  private turn: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly environment: NodeJS.ProcessEnv,
    private readonly logDirectory: string,
    private readonly say: (message: string) => void,
    private readonly notes: string[],
  ) {}

  exclusively<T>(action: () => Promise<T>): Promise<T> {
    const next = this.turn.then(action, action);
    this.turn = next.catch(() => {});
    return next;
  }

  /** Starts a worker (up to three tries) and resolves once it says it is connected. */
  async launch(): Promise<SpawnedProcess> {
    let lastError: unknown;
    for (let tries = 0; tries < 3; tries++) {
      try {
        const worker = await startWorkerProcess(this.environment);
        this.watch(worker, ++this.launched);
        this.current = worker;
        return worker;
      } catch (error) {
        lastError = error;
        this.say(`worker did not start (try ${tries + 1}): ${String(error).slice(0, 300)}`);
        await sleep(2_000);
      }
    }
    throw lastError;
  }

  /** Kills the current worker with `signal`, as planned (not counted as an unexpected exit). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<SpawnedProcess | undefined> {
    const worker = this.current;
    if (!worker) return undefined;
    this.expectedExits.add(worker);
    await worker.kill(signal);
    return worker;
  }

  isAlive(worker: SpawnedProcess | undefined = this.current): boolean {
    return (
      worker !== undefined && worker.child.exitCode === null && worker.child.signalCode === null
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.kill();
  }

  private watch(worker: SpawnedProcess, number: number): void {
    const monitor = monitorProcess(worker.child.pid!);
    worker.child.once('exit', (code, signal) => {
      this.peakRssBytes = Math.max(this.peakRssBytes, monitor.stop().peakRssBytes);
      void writeFile(join(this.logDirectory, `worker-${number}.log`), worker.output()).catch(
        () => {},
      );
      if (this.stopping || this.expectedExits.has(worker)) return;
      this.unexpectedExits += 1;
      const message = `worker ${number} (pid ${worker.child.pid}) exited by itself (${signal ?? `code ${code}`}); a new one is started`;
      this.notes.push(message);
      this.say(message);
      void this.exclusively(async () => {
        if (!this.stopping && this.current === worker) await this.launch();
      }).catch((error: unknown) => this.say(`could not replace the worker: ${error}`));
    });
  }
}

type ChaosEvent = 'kill' | 'restart';

/**
 * Kill and restart moments: the active part of the run is cut into one slot per event, and each
 * event happens at a random moment in the first 70% of its slot, so they never pile up.
 */
function chaosSchedule(
  settings: {
    workerKills: number;
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

/** Starts a job, retrying while the server restarts (a start whose reply was lost is fine). */
async function startJob(client: Client, plan: JobPlan): Promise<void> {
  const input: GenerateVideoInput = {
    request: plan.request,
    providers: plan.route,
    ...(plan.attemptDeadlineMs !== undefined ? { attemptDeadlineMs: plan.attemptDeadlineMs } : {}),
  };
  const deadline = Date.now() + 120_000;
  for (let tries = 0; ; tries++) {
    try {
      await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: TASK_QUEUE,
        workflowId: plan.workflowId,
        args: [input],
      });
      return;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError && tries > 0) return;
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** Waits until no job of the soak is running, or the bound passes; returns how many still run. */
async function waitUntilAllClosed(
  client: Client,
  closeBy: number,
  say: (message: string) => void,
): Promise<number> {
  let lastReport = 0;
  for (;;) {
    const open = await client.workflow
      .count(`TaskQueue = "${TASK_QUEUE}" AND ExecutionStatus = "Running"`)
      .then((answer) => answer.count)
      .catch(() => Number.NaN);
    if (open === 0 || Date.now() > closeBy) return open;
    if (Date.now() - lastReport > 15_000) {
      say(`${Number.isNaN(open) ? '?' : open} job(s) still running`);
      lastReport = Date.now();
    }
    await sleep(1_000);
  }
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const settings = {
    ...DEFAULTS,
    providers: [...SOAK_PROVIDERS],
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  } as Required<Omit<SoakOptions, 'seed' | 'log' | 'keepWorkDirectory'>>;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const log = options.log ?? ((message: string) => console.error(`[soak] ${message}`));
  const startedAt = Date.now();
  const sinceStart = (at = Date.now()) => roundSeconds(at - startedAt);
  const say = (message: string) => log(`${sinceStart().toFixed(1).padStart(6)} s  ${message}`);
  say(
    `seed ${seed} (SOAK_SEED=${seed} repeats the plan): ${settings.jobs} jobs in ${settings.waves} waves, ${settings.workerKills} worker kills, ${settings.serverRestarts} server restart(s)`,
  );

  const workDirectory = await mkdtemp(join(tmpdir(), 'klingflow-soak-'));
  const storageDirectory = join(workDirectory, 'videos');
  const dbFilename = join(workDirectory, 'temporal.db');
  const logDirectory = join(workDirectory, 'worker-logs');
  await mkdir(logDirectory, { recursive: true });

  const notes: string[] = [];
  const kills: SoakKill[] = [];
  const restarts: SoakRestart[] = [];
  const faultsInjected: Record<string, number> = {};
  let checks: SoakCheck[] = [];
  let jobs: JobReport[] = [];
  let wallSeconds = 0;

  const imageServer = await startImageServer();
  const imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/frames/first.png`;
  const plans = planJobs({ ...settings }, seed, imageUrl);
  let providers: SimulatedProviderSet | undefined;
  let server: RunningDevServer | undefined;
  let connection: Connection | undefined;
  let workers: WorkerSupervisor | undefined;
  try {
    providers = await startSimulatedProviders({
      renderMs: settings.renderMs[1],
      only: settings.providers,
    });
    for (const id of settings.providers) {
      const fake = providers.fakes[id];
      fake.setVideoSize(VIDEO_KIB[id] * 1024);
      applyPlansToTasks(id, fake, plans);
    }

    // A fixed port and SQLite file, so the restarted server is the same server to everyone.
    const port = await freePort();
    const startServer = () =>
      startDevServer({ port, headless: true, dbFilename, output: 'ignore' });
    server = await startServer();
    say(`dev server at ${server.address} (SQLite ${dbFilename})`);
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: NAMESPACE });

    workers = new WorkerSupervisor(
      {
        ...workerBaseEnvironment(),
        ...providers.environment,
        TEMPORAL_ADDRESS: server.address,
        KLINGFLOW_TASK_QUEUE: TASK_QUEUE,
        KLINGFLOW_STORAGE_DIR: storageDirectory,
        KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
        KLINGFLOW_POLL_INTERVAL: `${POLL_INTERVAL_MS}ms`,
        KLINGFLOW_INITIAL_WAIT: `${settings.renderMs[0]}ms`,
      },
      logDirectory,
      say,
      notes,
    );
    const first = await workers.launch();
    say(`worker 1 up (pid ${first.child.pid})`);

    const killWorker = async (supervisor: WorkerSupervisor) => {
      const at = Date.now();
      const victim = await supervisor.kill('SIGKILL');
      await supervisor.launch();
      const kill: SoakKill = {
        atSeconds: sinceStart(at),
        pid: victim?.child.pid,
        replacedAfterSeconds: roundSeconds(Date.now() - at),
      };
      kills.push(kill);
      say(
        `SIGKILL worker pid ${kill.pid}; worker ${supervisor.launched} connected ${kill.replacedAfterSeconds} s later`,
      );
    };

    const restartServer = async (supervisor: WorkerSupervisor, simulated: SimulatedProviderSet) => {
      const at = Date.now();
      await server!.stop();
      const stopped = Date.now();
      server = await startServer();
      const started = Date.now();
      say(
        `dev server stopped (${roundSeconds(stopped - at)} s) and started again on ${server.address} (${roundSeconds(started - stopped)} s)`,
      );
      const survivor = supervisor.current;
      let reconnectedByItself = await workerIsBack(
        connection!,
        simulated,
        survivor,
        started,
        60_000,
      );
      if (!reconnectedByItself || !supervisor.isAlive(survivor)) {
        reconnectedByItself = false;
        notes.push(
          `the worker did not serve the restarted dev server within 60 s; a new worker was started at ${sinceStart()} s`,
        );
        await supervisor.kill('SIGKILL');
        await supervisor.launch();
      }
      const restart: SoakRestart = {
        atSeconds: sinceStart(at),
        stopSeconds: roundSeconds(stopped - at),
        startSeconds: roundSeconds(started - stopped),
        workerBackAfterSeconds: roundSeconds(Date.now() - at),
        workerReconnectedByItself: reconnectedByItself,
      };
      restarts.push(restart);
      say(
        reconnectedByItself
          ? `the worker reconnected by itself ${restart.workerBackAfterSeconds} s after the stop`
          : 'the worker had to be restarted after the server restart',
      );
    };

    const runStart = Date.now();
    const schedule = chaosSchedule(settings, seed);
    say(
      `kill/restart moments (s since the soak started): ${schedule.map(({ event, atMs }) => `${event} ${sinceStart(runStart + atMs)}`).join(', ')}`,
    );
    const supervisor = workers;
    const simulated = providers;
    const chaos = (async () => {
      for (const { event, atMs } of schedule) {
        await sleep(runStart + atMs - Date.now());
        await supervisor.exclusively(() =>
          event === 'kill' ? killWorker(supervisor) : restartServer(supervisor, simulated),
        );
      }
    })();
    const waves = (async () => {
      for (let wave = 0; wave < settings.waves; wave++) {
        await sleep(runStart + wave * settings.waveIntervalMs - Date.now());
        const inWave = plans.filter((plan) => plan.wave === wave);
        for (const plan of inWave) {
          // The fault goes in just before the job starts: it hits the provider's next such call.
          if (plan.fault) {
            const { provider, route, fault, times, kind } = plan.fault;
            simulated.fakes[provider].injectFault({ route, fault, times });
            faultsInjected[kind] = (faultsInjected[kind] ?? 0) + 1;
          }
          await startJob(client, plan);
        }
        say(`wave ${wave + 1}: started ${inWave.length} jobs`);
      }
    })();
    const [chaosOutcome, wavesOutcome] = await Promise.allSettled([chaos, waves]);
    if (wavesOutcome.status === 'rejected') throw wavesOutcome.reason;
    if (chaosOutcome.status === 'rejected')
      notes.push(`the kill/restart schedule stopped early: ${chaosOutcome.reason}`);

    const open = await waitUntilAllClosed(client, Date.now() + settings.closeTimeoutMs, say);
    wallSeconds = sinceStart();
    say(
      open === 0
        ? 'every job has closed; verifying'
        : `${open} job(s) still open ${roundSeconds(settings.closeTimeoutMs)} s after the last wave; verifying`,
    );

    jobs = await mapLimited(plans, 16, (plan) => readJob(client, plan));
    for (const id of settings.providers) {
      for (const request of providers.fakes[id].requestsFor('submit')) {
        const index = /\bjob(\d{4})\b/.exec(request.body)?.[1];
        const job = index === undefined ? undefined : jobs[Number(index)];
        job?.submits.push({ provider: id, atSeconds: sinceStart(request.at) });
      }
    }
    checks = await verify({ jobs, providers, settings, storageDirectory, kills, restarts });
  } finally {
    await workers?.stop();
    await connection?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await providers?.stop().catch(() => {});
    await new Promise<void>((resolveClose) => imageServer.close(() => resolveClose()));
  }

  const passed = checks.length > 0 && checks.every((check) => check.passed);
  const keep = options.keepWorkDirectory || !passed;
  const result = summarize({
    seed,
    passed,
    checks,
    notes,
    settings,
    jobs,
    providers: providers!,
    kills,
    restarts,
    unexpectedWorkerExits: workers?.unexpectedExits ?? 0,
    faultsInjected,
    wallSeconds,
    workerPeakRssMb: megabytes(workers?.peakRssBytes ?? 0),
    workDirectory: keep ? workDirectory : undefined,
  });
  if (keep) {
    await writeFile(join(workDirectory, 'soak-result.json'), JSON.stringify(jobs, null, 2));
    say(`kept ${workDirectory} (database, videos, worker logs, soak-result.json)`);
  } else {
    await rm(workDirectory, { recursive: true, force: true });
  }
  for (const entry of checks)
    say(`${entry.passed ? 'pass' : 'FAIL'}  ${entry.name}: ${entry.detail}`);
  for (const line of result.diagnoses) say(`diagnosis: ${line}`);
  return result;
}

async function startImageServer(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'image/png',
      'content-length': FIRST_FRAME_PNG.length,
    });
    response.end(FIRST_FRAME_PNG);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return server;
}

/**
 * True once the worker serves the restarted server: a poller shows up on the task queue, or a
 * provider call is made well after the server came back (activities only run when dispatched).
 */
async function workerIsBack(
  connection: Connection,
  providers: SimulatedProviderSet,
  worker: SpawnedProcess | undefined,
  serverStartedAt: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return false;
    try {
      const response = await connection.workflowService.describeTaskQueue({
        namespace: NAMESPACE,
        taskQueue: { name: TASK_QUEUE, kind: 1 },
        taskQueueType: 1,
      });
      if ((response.pollers?.length ?? 0) > 0) return true;
    } catch {
      // The server may still be warming up.
    }
    const recent = Object.values(providers.fakes).some((fake) =>
      fake.requests.some((request) => request.at > serverStartedAt + 2_000),
    );
    if (recent) return true;
    await sleep(250);
  }
  return false;
}

async function readJob(client: Client, plan: JobPlan): Promise<JobReport> {
  const report: JobReport = {
    plan,
    execution: 'missing',
    status: undefined,
    problem: undefined,
    seconds: undefined,
    submits: [],
  };
  const handle: WorkflowHandle = client.workflow.getHandle(plan.workflowId);
  let description: Awaited<ReturnType<WorkflowHandle['describe']>>;
  try {
    description = await handle.describe();
  } catch (error) {
    report.problem = `describe failed: ${error}`;
    return report;
  }
  report.execution = description.status.name;
  if (description.closeTime) {
    report.seconds = roundSeconds(
      description.closeTime.getTime() - description.startTime.getTime(),
    );
  }
  if (report.execution === 'RUNNING') {
    const status = await handle.query(statusQuery).catch(() => undefined);
    report.status = status;
    report.problem = `still running${status ? ` in phase ${status.phase} at ${status.provider}` : ''}`;
    return report;
  }
  try {
    report.status = (await handle.result()) as GenerationStatus;
  } catch (error) {
    const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === FailureTypes.generationFailed) {
      report.status = cause.details?.[0] as GenerationStatus | undefined;
      if (!report.status) report.problem = 'failed without a status in its failure details';
    } else {
      report.problem = `ended ${report.execution} without a GenerationFailed failure: ${error}`;
    }
  }
  return report;
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await map(items[index]!);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// Verification.

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Kinds after which the job must not move on to another provider. */
const FINAL_KINDS = new Set<AttemptErrorKind>([
  'invalid-request',
  'content-rejected',
  'ambiguous-submit',
  'download-failed',
]);

const triedAttempts = (status: GenerationStatus) =>
  status.attempts.filter((attempt) => attempt.outcome !== 'skipped');

function lastFailedAttempt(status: GenerationStatus): AttemptRecord | undefined {
  return [...status.attempts].reverse().find((attempt) => attempt.outcome === 'failed');
}

function check(name: string, offenders: string[], passedDetail: string): SoakCheck {
  const shown = offenders.slice(0, 8).join('; ');
  return {
    name,
    passed: offenders.length === 0,
    detail:
      offenders.length === 0
        ? passedDetail
        : `${offenders.length} offending: ${shown}${offenders.length > 8 ? '; …' : ''}`,
  };
}

async function verify(context: {
  jobs: JobReport[];
  providers: SimulatedProviderSet;
  settings: { jobs: number; workerKills: number; serverRestarts: number; providers: ProviderId[] };
  storageDirectory: string;
  kills: SoakKill[];
  restarts: SoakRestart[];
}): Promise<SoakCheck[]> {
  const { jobs, providers, settings, storageDirectory } = context;
  const id = (report: JobReport) => report.plan.workflowId;

  // Tasks per (job, provider), from what each fake created.
  const tasksOf = new Map<string, FakeTask[]>();
  const unattributed: string[] = [];
  for (const provider of settings.providers) {
    for (const task of providers.fakes[provider].tasks.values()) {
      const index = jobIndexOf(task);
      if (index === undefined) {
        unattributed.push(`${provider} task ${task.id}`);
        continue;
      }
      const key = `${index}/${provider}`;
      tasksOf.set(key, [...(tasksOf.get(key) ?? []), task]);
    }
  }
  const tasksFor = (report: JobReport, provider: ProviderId) =>
    tasksOf.get(`${report.plan.index}/${provider}`) ?? [];

  const lost = jobs.filter((report) => report.execution === 'missing').map(id);
  const stuck = jobs
    .filter((report) => report.execution === 'RUNNING')
    .map((report) => `${id(report)} (${report.problem})`);

  const unrecorded: string[] = [];
  for (const report of jobs) {
    if (report.execution === 'missing' || report.execution === 'RUNNING') continue;
    const status = report.status;
    if (!status) {
      unrecorded.push(`${id(report)}: ${report.problem}`);
    } else if (report.execution === 'COMPLETED') {
      if (status.status !== 'succeeded' || status.videos.length === 0)
        unrecorded.push(`${id(report)}: completed with status ${status.status}`);
    } else if (report.execution === 'FAILED') {
      const last = lastFailedAttempt(status);
      if (status.status !== 'failed' || !status.error)
        unrecorded.push(`${id(report)}: failed with status ${status.status} and no error`);
      else if (triedAttempts(status).length > 0 && (!last?.errorKind || !last.error))
        unrecorded.push(`${id(report)}: last failed attempt has no error kind or message`);
    } else {
      unrecorded.push(`${id(report)}: ended ${report.execution}`);
    }
  }

  const duplicates: string[] = [];
  for (const [key, tasks] of tasksOf) {
    if (tasks.length > 1) {
      const [index, provider] = key.split('/');
      duplicates.push(
        `${jobs[Number(index)]?.plan.workflowId ?? key} has ${tasks.length} tasks at ${provider}`,
      );
    }
  }

  const succeeded = jobs.filter((report) => report.status?.status === 'succeeded');
  const oneTask: string[] = [];
  const corrupt: string[] = [];
  const expectedFiles = new Set<string>();
  for (const report of succeeded) {
    const status = report.status!;
    const provider = status.provider;
    if (!provider) {
      oneTask.push(`${id(report)}: succeeded without a provider`);
      continue;
    }
    const tasks = tasksFor(report, provider);
    if (tasks.length !== 1) {
      oneTask.push(`${id(report)}: ${tasks.length} tasks at ${provider}, where it succeeded`);
    } else if (!status.providerTaskId?.includes(tasks[0]!.id)) {
      oneTask.push(
        `${id(report)}: status names task ${status.providerTaskId}, ${provider} created ${tasks[0]!.id}`,
      );
    }
    const expected = providers.fakes[provider].videoBuffer;
    const expectedSha = sha256(expected);
    for (const video of status.videos) {
      expectedFiles.add(resolve(video.path));
      expectedFiles.add(resolve(video.path.replace(/\.mp4$/, '.json')));
      try {
        const bytes = await readFile(video.path);
        const actualSha = sha256(bytes);
        if (bytes.length !== expected.length || actualSha !== expectedSha)
          corrupt.push(
            `${id(report)}: ${video.path} is ${bytes.length} bytes sha256 ${actualSha.slice(0, 12)}, ${provider} served ${expected.length} bytes ${expectedSha.slice(0, 12)}`,
          );
        else if (video.bytes !== expected.length || video.sha256 !== expectedSha)
          corrupt.push(`${id(report)}: status JSON says ${video.bytes} bytes ${video.sha256}`);
        else if (!video.sourceUrl.startsWith(providers.fakes[provider].origin))
          corrupt.push(`${id(report)}: source ${video.sourceUrl} is not ${provider}'s`);
        const sidecar = JSON.parse(
          await readFile(video.path.replace(/\.mp4$/, '.json'), 'utf8'),
        ) as { sha256?: string; bytes?: number };
        if (sidecar.sha256 !== expectedSha || sidecar.bytes !== expected.length)
          corrupt.push(`${id(report)}: sidecar says ${sidecar.bytes} bytes ${sidecar.sha256}`);
      } catch (error) {
        corrupt.push(`${id(report)}: ${video.path}: ${error}`);
      }
    }
  }

  const partialDirectory = join(storageDirectory, '.partial');
  const partials = existsSync(partialDirectory) ? await readdir(partialDirectory) : [];
  const stray: string[] = [];
  if (existsSync(storageDirectory)) {
    for (const name of await readdir(storageDirectory)) {
      const path = resolve(storageDirectory, name);
      if ((await stat(path)).isDirectory()) continue;
      if (!expectedFiles.has(path)) stray.push(name);
    }
  }

  // Each failure path did what it is specified to do.
  const paths: string[] = [];
  for (const report of jobs) {
    const status = report.status;
    if (!status) continue;
    const tried = triedAttempts(status);
    const route = report.plan.route;
    tried.forEach((attempt, position) => {
      if (attempt.provider !== route[position])
        paths.push(`${id(report)}: attempt ${position + 1} at ${attempt.provider}, route ${route}`);
      if (attempt.errorKind === 'invalid-request')
        paths.push(`${id(report)}: ${attempt.provider} invalid-request: ${attempt.error}`);
      if (attempt.errorKind && FINAL_KINDS.has(attempt.errorKind) && position < tried.length - 1)
        paths.push(`${id(report)}: went on after ${attempt.errorKind} at ${attempt.provider}`);
      const tasks = tasksFor(report, attempt.provider);
      const outcomes = tasks.map((task) => task.outcome);
      if (
        attempt.errorKind === 'content-rejected' &&
        !outcomes.some(
          (outcome) => outcome.type === 'fail' && MODERATION_MESSAGES.includes(outcome.message),
        )
      )
        paths.push(
          `${id(report)}: content-rejected at ${attempt.provider} without a moderated task`,
        );
      if (attempt.outcome === 'succeeded' && outcomes.some((outcome) => outcome.type !== 'succeed'))
        paths.push(
          `${id(report)}: succeeded at ${attempt.provider} whose task was ${outcomes[0]?.type}`,
        );
      if (attempt.outcome === 'failed' && !attempt.errorKind)
        paths.push(`${id(report)}: failed attempt at ${attempt.provider} without an error kind`);
    });
    const last = tried[tried.length - 1];
    if (
      status.status === 'failed' &&
      last?.errorKind &&
      !FINAL_KINDS.has(last.errorKind) &&
      status.attempts.length < route.length
    )
      paths.push(
        `${id(report)}: failed on ${last.errorKind} at ${last.provider} with ${route.length - status.attempts.length} provider(s) of its route untried`,
      );
  }

  const checks = [
    check('no job lost', lost, `all ${settings.jobs} workflows exist`),
    check(
      'no job stuck',
      stuck,
      `all ${settings.jobs} closed within the bound after the last wave`,
    ),
    check(
      'every job succeeded or failed with a recorded reason',
      unrecorded,
      `${succeeded.length} succeeded, ${jobs.length - succeeded.length} failed with an error and an error kind`,
    ),
    check(
      'no duplicate submission',
      [...duplicates, ...unattributed.map((task) => `${task} belongs to no job`)],
      'at most one task per job and provider at every fake',
    ),
    check(
      'a succeeded job has exactly one task at its provider',
      oneTask,
      `${succeeded.length} jobs, one task each where they succeeded`,
    ),
    check(
      'no corrupt or partial video',
      corrupt,
      `${succeeded.length} videos: size and sha256 match the provider's bytes, the status JSON and the sidecar`,
    ),
    check(
      'nothing left in .partial',
      partials,
      `\`<storage>/.partial\` is ${existsSync(partialDirectory) ? 'empty' : 'absent'}`,
    ),
    check(
      'no stray file (no video of a failed job)',
      stray,
      'only the videos and sidecars of succeeded jobs are stored',
    ),
    check(
      'every failure path behaved as specified',
      paths,
      'route order, failover and final kinds',
    ),
    check(
      'the planned kills and restarts happened',
      [
        ...(context.kills.length === settings.workerKills
          ? []
          : [`${context.kills.length} of ${settings.workerKills} kills`]),
        ...(context.restarts.length === settings.serverRestarts
          ? []
          : [`${context.restarts.length} of ${settings.serverRestarts} restarts`]),
      ],
      `${context.kills.length} SIGKILLs, ${context.restarts.length} server restart(s)`,
    ),
  ];
  return checks;
}

function summarize(input: {
  seed: number;
  passed: boolean;
  checks: SoakCheck[];
  notes: string[];
  settings: Required<Omit<SoakOptions, 'seed' | 'log' | 'keepWorkDirectory'>>;
  jobs: JobReport[];
  providers: SimulatedProviderSet;
  kills: SoakKill[];
  restarts: SoakRestart[];
  unexpectedWorkerExits: number;
  faultsInjected: Record<string, number>;
  wallSeconds: number;
  workerPeakRssMb: number;
  workDirectory: string | undefined;
}): SoakResult {
  const { jobs, settings } = input;
  const increment = (counts: Record<string, number>, key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const finalErrorKinds: Record<string, number> = {};
  const attemptErrorKinds: Record<string, number> = {};
  const plannedTaskOutcomes: Record<string, number> = {};
  const failovers = { jobs: 0, succeeded: 0, transitions: 0 };
  const outcomes = { succeeded: 0, failed: 0, other: 0 };
  for (const report of jobs) {
    if (report.plan.task !== 'succeed') increment(plannedTaskOutcomes, report.plan.task);
    const status = report.status;
    if (status?.status === 'succeeded' && report.execution === 'COMPLETED') outcomes.succeeded++;
    else if (status?.status === 'failed' && report.execution === 'FAILED') outcomes.failed++;
    else outcomes.other++;
    if (!status) continue;
    const tried = triedAttempts(status);
    for (const attempt of tried)
      if (attempt.outcome === 'failed') increment(attemptErrorKinds, attempt.errorKind ?? 'none');
    if (tried.length > 1) {
      failovers.jobs++;
      failovers.transitions += tried.length - 1;
      if (status.status === 'succeeded') failovers.succeeded++;
    }
    if (status.status === 'failed')
      increment(finalErrorKinds, lastFailedAttempt(status)?.errorKind ?? 'no provider tried');
  }
  const providerFigures: SoakProviderFigures[] = settings.providers.map((provider) => {
    const fake = input.providers.fakes[provider];
    return {
      provider,
      routedFirst: jobs.filter((report) => report.plan.route[0] === provider).length,
      tasks: fake.submissions,
      submitRequests: fake.requestsFor('submit').length,
      statusRequests: fake.requestsFor('status').length,
      downloads: fake.requestsFor('download').length,
      succeededOn: jobs.filter(
        (report) => report.status?.status === 'succeeded' && report.status.provider === provider,
      ).length,
    };
  });
  const durations = jobs.flatMap((report) =>
    report.seconds === undefined ? [] : [report.seconds],
  );
  const duplicates: SoakResult['duplicates'] = [];
  for (const report of jobs) {
    for (const provider of settings.providers) {
      const tasks = [...input.providers.fakes[provider].tasks.values()].filter(
        (task) => jobIndexOf(task) === report.plan.index,
      ).length;
      if (tasks > 1) duplicates.push({ workflowId: report.plan.workflowId, provider, tasks });
    }
  }
  const withoutMarkdown: Omit<SoakResult, 'markdown'> = {
    seed: input.seed,
    passed: input.passed,
    checks: input.checks,
    notes: input.notes,
    diagnoses: diagnose(jobs, input.providers, input.kills, input.restarts),
    settings: {
      jobs: settings.jobs,
      waves: settings.waves,
      waveIntervalSeconds: roundSeconds(settings.waveIntervalMs),
      renderSeconds: [roundSeconds(settings.renderMs[0]), roundSeconds(settings.renderMs[1])],
      pollIntervalSeconds: roundSeconds(POLL_INTERVAL_MS),
      workerKills: settings.workerKills,
      serverRestarts: settings.serverRestarts,
      stuckAttemptDeadlineSeconds: roundSeconds(settings.stuckAttemptDeadlineMs),
      providers: settings.providers,
    },
    outcomes,
    finalErrorKinds,
    attemptErrorKinds,
    failovers,
    plannedTaskOutcomes,
    faultsInjected: input.faultsInjected,
    providers: providerFigures,
    duplicates,
    lost: jobs.filter((report) => report.execution === 'missing').map((r) => r.plan.workflowId),
    stuck: jobs.filter((report) => report.execution === 'RUNNING').map((r) => r.plan.workflowId),
    kills: input.kills,
    restarts: input.restarts,
    unexpectedWorkerExits: input.unexpectedWorkerExits,
    wallSeconds: input.wallSeconds,
    jobSeconds: {
      p50: durations.length ? percentile(durations, 0.5) : 0,
      p95: durations.length ? percentile(durations, 0.95) : 0,
      max: durations.length ? Math.max(...durations) : 0,
    },
    workerPeakRssMb: input.workerPeakRssMb,
    workDirectory: input.workDirectory,
  };
  return { ...withoutMarkdown, markdown: soakMarkdown(withoutMarkdown) };
}

/**
 * One line per job behind a failed check (duplicate task, invalid-request, lost, stuck, no
 * recorded reason): its submit requests, set against the kills and the restart around them.
 */
function diagnose(
  jobs: JobReport[],
  providers: SimulatedProviderSet,
  kills: SoakKill[],
  restarts: SoakRestart[],
): string[] {
  const lines: string[] = [];
  for (const report of jobs) {
    const problems: string[] = [];
    for (const provider of report.plan.route) {
      const tasks = [...providers.fakes[provider].tasks.values()].filter(
        (task) => jobIndexOf(task) === report.plan.index,
      );
      if (tasks.length > 1) problems.push(`${tasks.length} tasks at ${provider}`);
    }
    for (const attempt of report.status?.attempts ?? []) {
      if (attempt.errorKind === 'invalid-request')
        problems.push(`${attempt.provider} answered invalid-request: ${attempt.error}`);
    }
    if (report.problem) problems.push(report.problem);
    if (problems.length === 0) continue;
    const submits = report.submits.map((submit) => `${submit.provider} at ${submit.atSeconds} s`);
    const first = report.submits[0]?.atSeconds ?? 0;
    const last = report.submits[report.submits.length - 1]?.atSeconds ?? Number.POSITIVE_INFINITY;
    const around = [
      ...kills
        .filter((kill) => kill.atSeconds >= first - 1 && kill.atSeconds <= last)
        .map((kill) => `worker SIGKILL at ${kill.atSeconds} s`),
      ...restarts
        .filter((restart) => restart.atSeconds >= first - 1 && restart.atSeconds <= last)
        .map((restart) => `server restart at ${restart.atSeconds} s`),
    ];
    lines.push(
      `${report.plan.workflowId}: ${problems.join('; ')}. Submits: ${submits.join(', ') || 'none'}${
        around.length ? `; meanwhile ${around.join(', ')}` : ''
      }.`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// `npm run soak`

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

/** `SOAK_SEED`: a whole number from 0 to 2^32 − 1, or nothing for a random seed. */
export function parseSoakSeed(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`SOAK_SEED must be a whole number from 0 to ${2 ** 32 - 1}, not "${value}"`);
  return seed;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const jobs = process.env.SOAK_JOBS ? Number(process.env.SOAK_JOBS) : undefined;
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1))
    throw new Error(`SOAK_JOBS must be a positive whole number, not "${process.env.SOAK_JOBS}"`);
  const result = await runSoak({ seed: parseSoakSeed(process.env.SOAK_SEED), jobs });
  await writeSoakSection(OUTPUT, result.markdown);
  console.error(`[soak] wrote the ## Soak section of ${OUTPUT}`);
  console.log(
    JSON.stringify(
      {
        seed: result.seed,
        passed: result.passed,
        outcomes: result.outcomes,
        finalErrorKinds: result.finalErrorKinds,
        failovers: result.failovers,
        duplicates: result.duplicates.length,
        lost: result.lost.length,
        stuck: result.stuck.length,
        kills: result.kills,
        restarts: result.restarts,
        wallSeconds: result.wallSeconds,
        failedChecks: result.checks.filter((entry) => !entry.passed),
        workDirectory: result.workDirectory,
      },
      null,
      2,
    ),
  );
  process.exitCode = result.passed ? 0 : 1;
}
