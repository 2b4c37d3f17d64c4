import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type {
  GenerateVideoInput,
  GenerationPhase,
  GenerationStatus,
  GenerationStatusName,
} from '../../contracts/generation.js';
import {
  providerCallbackSignal,
  slotGrantedSignal,
  statusQuery,
} from '../../contracts/messages.js';
import { KLING_MODEL, KLING_PHASE, KLING_STATUS } from '../../contracts/search-attributes.js';
import type { WatchedTask } from './cancel.js';

const DEFAULT_JOB_DEADLINE_MS = 2 * 60 * 60_000;

/**
 * Everything one generation knows, passed to each step (plan, attempt, submit, wait, deliver)
 * instead of being shared through closures. Signal handlers write to it; the query reads it.
 */
export interface Job {
  input: GenerateVideoInput;
  status: GenerationStatus;
  /**
   * The workflow version the run started on (see JobVersion): a history replays the paths of
   * its version, and each version keeps every change of the ones before it.
   */
  version: JobVersion;
  /**
   * Search-attribute changes waiting for the next phase update. Each update is a billable
   * action, so from `job-v3` on the starter sets the first attributes and a change with no
   * long await after it (the attempt's provider) goes out with the next published phase.
   */
  pendingAttributes: SearchAttributeUpdatePair[];
  workflowId: string;
  runId: string;
  taskQueue: string;
  startedAtMs: number;
  jobDeadline: number;
  pollIntervalMs: number;
  /** 1-based number of the current provider attempt. */
  attemptNumber: number;
  /** Set by a provider callback for the current attempt; cleared once a status call answered. */
  callbackForAttempt: number;
  slotGrantedAttempt: number;
  /** The accepted task of the current attempt, for cancelling it at the provider. */
  watched?: WatchedTask;
  /** Storage keys of downloads started, so a cancelled or failed job removes its partial files. */
  downloadKeys: string[];
}

/**
 * Which changes a run takes, each version with every one before it:
 * - 1: recorded before the money-safety rules, which it must replay without;
 * - 2 (`money-safety-v2`): pinned tasks, ledger budget, run-scoped idempotency keys, lookups that
 *   can say "unknown", and kept-current search attributes;
 * - 3 (`job-v3`): one patch stands for every change so far, because each patch a new run asks
 *   costs a search-attribute update (a billable action); the starter sets the first attributes;
 * - 4 (`job-v4`): a polled task's first wait is the poll activity's first retry delay instead of
 *   a timer (one workflow task less per job), and only the long phase, `waiting`, is published
 *   as `KlingPhase` before the final status;
 * - 5 (`job-v5`): a job that succeeds ends without a search-attribute update; its execution
 *   status (Completed) already says so. Failed and cancelled jobs still record theirs;
 * - 6 (`job-v6`, current): the poll that finds a task done with one video also delivers it
 *   (deliver-in-poll.ts): one workflow task and one activity less per polled job. Its phase goes
 *   from `waiting` to `done`; callbacks and several videos still go through `downloading`.
 */
export type JobVersion = 1 | 2 | 3 | 4 | 5 | 6;

/** A new run asks only the newest version's patch; older histories replay the ones they carry. */
function jobVersion(): JobVersion {
  if (patched('job-v6')) return 6;
  if (patched('job-v5')) return 5;
  if (patched('job-v4')) return 4;
  if (patched('job-v3')) return 3;
  return patched('money-safety-v2') ? 2 : 1;
}

export function startJob(input: GenerateVideoInput): Job {
  const info = workflowInfo();
  const version = jobVersion();
  const startedAtMs = info.startTime.getTime();
  const job: Job = {
    input,
    version,
    pendingAttributes: [],
    workflowId: info.workflowId,
    runId: info.runId,
    taskQueue: info.taskQueue,
    startedAtMs,
    jobDeadline: startedAtMs + (input.deadlineMs ?? DEFAULT_JOB_DEADLINE_MS),
    pollIntervalMs: input.pollIntervalMs ?? 0,
    attemptNumber: 0,
    callbackForAttempt: 0,
    slotGrantedAttempt: 0,
    downloadKeys: [],
    status: {
      workflowId: info.workflowId,
      status: 'running',
      phase: 'planning',
      model: input.request.model,
      mode: input.request.mode,
      videos: [],
      attempts: [],
      polls: 0,
      startedAt: info.startTime.toISOString(),
      elapsedMs: 0,
      warnings: [],
      spend: { usd: 0, byUnit: {}, tasks: [] },
    },
  };
  setHandler(statusQuery, () => snapshot(job));
  setHandler(slotGrantedSignal, ({ attempt }) => {
    job.slotGrantedAttempt = attempt;
  });
  setHandler(providerCallbackSignal, ({ attempt }) => {
    if (attempt === job.attemptNumber) job.callbackForAttempt = attempt;
  });
  // A starter that set them (the client, a batch) saves this update; other starters do not.
  if (version >= 3 && info.typedSearchAttributes.get(KLING_STATUS) !== undefined) return job;
  upsertSearchAttributes(
    version >= 2
      ? [
          { key: KLING_MODEL, value: input.request.model },
          { key: KLING_PHASE, value: 'planning' },
          { key: KLING_STATUS, value: 'running' },
        ]
      : [{ key: KLING_MODEL, value: input.request.model }],
  );
  return job;
}

/** A storage key a download may have written under, once: the job's end removes its partial file. */
export function rememberDownloadKey(job: Job, key: string): void {
  if (!job.downloadKeys.includes(key)) job.downloadKeys.push(key);
}

export function snapshot(job: Job): GenerationStatus {
  return { ...job.status, elapsedMs: Date.now() - job.startedAtMs };
}

/**
 * Phases published as `KlingPhase` on `job-v4`: the ones a job can spend minutes in. Each
 * update is a billable action, so the short ones (submitting, downloading) show in the status
 * query only; visibility goes planning → waiting → the final phase.
 */
const LISTED_PHASES: ReadonlySet<GenerationPhase> = new Set(['waiting']);

/**
 * Moves the job to a phase; `KlingPhase` follows so `workflow list --query` finds it there
 * (on `job-v4` only for the listed phases, or when `listed`: a wait for a provider slot).
 */
export function setPhase(
  job: Job,
  phase: GenerationPhase,
  options: { listed?: boolean } = {},
): void {
  if (job.status.phase === phase && job.pendingAttributes.length === 0) return;
  job.status.phase = phase;
  if (job.version < 2) return;
  if (job.version >= 4 && !(options.listed ?? LISTED_PHASES.has(phase))) return;
  upsertSearchAttributes([...job.pendingAttributes.splice(0), { key: KLING_PHASE, value: phase }]);
}

/**
 * Sets a search attribute: at once on histories recorded before `job-v3`, else with the next
 * published phase or the final status.
 */
export function setSearchAttribute(job: Job, pair: SearchAttributeUpdatePair): void {
  if (job.version >= 3) job.pendingAttributes.push(pair);
  else upsertSearchAttributes([pair]);
}

/**
 * Ends the job's status (and `KlingStatus`, `KlingPhase`) in one search-attribute update; on
 * `job-v5` a success with nothing else to publish ends without one (see JobVersion).
 */
export function setFinalStatus(
  job: Job,
  status: GenerationStatusName,
  phase?: GenerationPhase,
): void {
  job.status.status = status;
  if (phase) job.status.phase = phase;
  if (job.version >= 5 && status === 'succeeded' && job.pendingAttributes.length === 0) return;
  if (job.version >= 2) {
    upsertSearchAttributes([
      ...job.pendingAttributes.splice(0),
      { key: KLING_STATUS, value: status },
      { key: KLING_PHASE, value: job.status.phase },
    ]);
  } else if (phase === 'done') {
    upsertSearchAttributes([{ key: KLING_PHASE, value: 'done' }]);
  }
}
