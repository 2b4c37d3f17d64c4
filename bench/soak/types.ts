import type { ProviderId } from '../../src/request/unified-request.js';

/** What a soak run reports: the checks, the figures and the events, for BENCHMARKS.md. */

/** One check of the soak: what must hold, whether it did, and the offending jobs if not. */
export interface SoakCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface SoakKill {
  /** Seconds since the soak started. */
  atSeconds: number;
  pid: number | undefined;
  /** From SIGKILL until the new worker process said it was connected. */
  replacedAfterSeconds: number;
}

export interface SoakStop {
  atSeconds: number;
  pid: number | undefined;
  /**
   * The provider a slow submit answer was set up at, when a submit arrived there before SIGTERM
   * (held open unless an earlier planned fault at that provider took the call).
   */
  slowSubmitAt: ProviderId | undefined;
  /** From SIGTERM until the process exited. */
  exitedAfterSeconds: number;
  /** `code 0`, or the signal; `killed after the bound` when it did not exit by itself. */
  exit: string;
  forced: boolean;
  /** From SIGTERM until the new worker process said it was connected. */
  replacedAfterSeconds: number;
}

export interface SoakRestart {
  atSeconds: number;
  /** How long the old server took to stop, and the new one to answer on the same port. */
  stopSeconds: number;
  startSeconds: number;
  /** From the stop until a worker polled the restarted server. */
  workerBackAfterSeconds: number;
  /** False when the worker process had to be restarted too. */
  workerReconnectedByItself: boolean;
}

export interface SoakProviderFigures {
  provider: ProviderId;
  /** Jobs that had this provider first in their route. */
  routedFirst: number;
  /** Tasks the fake created (what a real provider would bill). */
  tasks: number;
  submitRequests: number;
  statusRequests: number;
  /** Status-route calls by idempotency key (the official API's lookup after an ambiguous submit). */
  lookups: number;
  downloads: number;
  succeededOn: number;
}

/** Jobs by how many tasks the providers created for them, and why each 2+ was allowed. */
export interface PaidTasksPerJob {
  zero: number;
  one: number;
  twoOrMore: number;
  /** For the 2+ jobs: the reason (or `not allowed`) → jobs. */
  why: Record<string, number>;
}

export interface SoakSpend {
  /** Tasks the fakes created for soak jobs (what the providers would bill). */
  fakeTasks: number;
  /** Entries in the jobs' ledgers, and those without a task id (ambiguous submits). */
  ledgerTasks: number;
  ambiguousWithoutId: number;
  /** Ambiguous entries without a task id that matched a task the job never learned the id of. */
  ambiguousMatched: number;
  /** Sum of the ledgers' USD estimates. */
  ledgerUsd: number;
  /** Jobs that ended `ambiguous-submit`, by provider. */
  ambiguousSubmitJobs: Record<string, number>;
}

export interface SoakBatchFigures {
  batchId: string;
  items: number;
  maxCost: number;
  /** Sum of the items' ledgers. */
  ledgerUsd: number;
  /** The spend the batch itself reports (it sums its items' ledgers), when it finished. */
  reportedUsd: number | undefined;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Items that moved on to a second provider. */
  failedOver: number;
}

export interface SoakSettingsSummary {
  jobs: number;
  waves: number;
  waveIntervalSeconds: number;
  renderSeconds: [number, number];
  pollIntervalSeconds: number;
  workerKills: number;
  workerStops: number;
  serverRestarts: number;
  stuckAttemptDeadlineSeconds: number;
  stuckFailoverAfterSeconds: number;
  stuckJobDeadlineSeconds: number;
  batchItems: number;
  providers: ProviderId[];
}

export interface SoakResult {
  seed: number;
  passed: boolean;
  checks: SoakCheck[];
  /** Problems worth a look that are not failures (a worker that exited by itself, say). */
  notes: string[];
  /**
   * For each job behind a failed check: its submit requests against the kills and the restart,
   * which is usually enough to see what happened.
   */
  diagnoses: string[];
  settings: SoakSettingsSummary;
  /** `skipped`: items the budgeted batch never started (over budget). */
  outcomes: { succeeded: number; failed: number; skipped: number; other: number };
  /** Error kind of the attempt that ended each failed job. */
  finalErrorKinds: Record<string, number>;
  /** Error kind of every failed attempt, failed-over ones included. */
  attemptErrorKinds: Record<string, number>;
  /** Jobs that moved on to another provider at least once, and how many of them succeeded. */
  failovers: { jobs: number; succeeded: number; transitions: number };
  /** Planned task outcomes at the first provider (moderation, plain failure, stuck). */
  plannedTaskOutcomes: Record<string, number>;
  faultsInjected: Record<string, number>;
  providers: SoakProviderFigures[];
  duplicates: { workflowId: string; provider: ProviderId; tasks: number }[];
  paidTasks: PaidTasksPerJob;
  spend: SoakSpend;
  batch: SoakBatchFigures | undefined;
  lost: string[];
  stuck: string[];
  kills: SoakKill[];
  stops: SoakStop[];
  restarts: SoakRestart[];
  unexpectedWorkerExits: number;
  wallSeconds: number;
  /** Start to close of each job. */
  jobSeconds: { p50: number; p95: number; max: number };
  workerPeakRssMb: number;
  /** Where the run's files are, when kept (a failed run keeps them). */
  workDirectory: string | undefined;
  markdown: string;
}
