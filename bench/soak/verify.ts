import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AttemptErrorKind, GenerationStatus } from '../../src/contracts/generation.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import type { FakeTask } from '../../src/simulated/fake-server.js';
import type { SimulatedProviderSet } from '../../src/simulated/index.js';
import { renderTimeStorePath } from '../../src/storage/render-time-store.js';
import { check } from './check.js';
import { MODERATION_MESSAGES } from './faults.js';
import type { JobReport } from './jobs.js';
import type { SoakSettings } from './options.js';
import { jobIndexOf } from './plan.js';
import { lastFailedAttempt, triedAttempts } from './status.js';
import type { SoakCheck } from './types.js';

/** Checks of how the jobs ended, what the fakes created, and what is in storage. */

/** Kinds after which the job must not move on to another provider. */
const FINAL_KINDS = new Set<AttemptErrorKind>([
  'invalid-request',
  'content-rejected',
  'ambiguous-submit',
  'download-failed',
]);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every task each fake created, by job index (tasks without a job token under -1). */
export function tasksByJob(
  providers: SimulatedProviderSet,
  providerIds: ProviderId[],
): Map<number, { provider: ProviderId; task: FakeTask }[]> {
  const byJob = new Map<number, { provider: ProviderId; task: FakeTask }[]>();
  for (const provider of providerIds) {
    for (const task of providers.fakes[provider].tasks.values()) {
      const index = jobIndexOf(task) ?? -1;
      byJob.set(index, [...(byJob.get(index) ?? []), { provider, task }]);
    }
  }
  return byJob;
}

export interface VerifyContext {
  jobs: JobReport[];
  providers: SimulatedProviderSet;
  settings: SoakSettings;
  storageDirectory: string;
  /** Workflow ids of batch items the batch skipped (never started, so not lost). */
  skippedItems: Set<string>;
}

export async function verifyJobs(context: VerifyContext): Promise<SoakCheck[]> {
  const { jobs, providers, settings } = context;
  const id = (report: JobReport) => report.plan.workflowId;
  const created = tasksByJob(providers, settings.providers);
  const tasksFor = (report: JobReport, provider: ProviderId) =>
    (created.get(report.plan.index) ?? [])
      .filter((entry) => entry.provider === provider)
      .map((entry) => entry.task);
  const unattributed = (created.get(-1) ?? []).map(
    ({ provider, task }) => `${provider} task ${task.id} belongs to no job`,
  );

  const started = jobs.filter((report) => !context.skippedItems.has(id(report)));
  const lost = started.filter((report) => report.execution === 'missing').map(id);
  const stuck = jobs
    .filter((report) => report.execution === 'RUNNING')
    .map((report) => `${id(report)} (${report.problem})`);
  const unrecorded = started.flatMap((report) => unrecordedOutcome(report));

  const duplicates: string[] = [];
  for (const report of jobs) {
    for (const provider of settings.providers) {
      const count = tasksFor(report, provider).length;
      if (count > 1) duplicates.push(`${id(report)} has ${count} tasks at ${provider}`);
    }
  }

  const succeeded = jobs.filter((report) => report.status?.status === 'succeeded');
  const oneTask: string[] = [];
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
  }
  const storage = await verifyStorage(succeeded, providers, context.storageDirectory);
  const paths = jobs.flatMap((report) => failurePathProblems(report, tasksFor));

  return [
    check('no job lost', lost, `all ${started.length} started workflows exist`),
    check(
      'no job stuck',
      stuck,
      `all ${started.length} closed within the bound after the last wave`,
    ),
    check(
      'every job succeeded or failed with a recorded reason',
      unrecorded,
      `${succeeded.length} succeeded, ${started.length - succeeded.length} failed with an error and an error kind`,
    ),
    check(
      'no duplicate submission',
      [...duplicates, ...unattributed],
      'at most one task per job and provider at every fake',
    ),
    check(
      'a succeeded job has exactly one task at its provider',
      oneTask,
      `${succeeded.length} jobs, one task each where they succeeded`,
    ),
    check(
      'no corrupt or partial video',
      storage.corrupt,
      `${succeeded.length} videos: size and sha256 match the provider's bytes, the status JSON and the sidecar`,
    ),
    check(
      'nothing left in .partial',
      storage.partials,
      `\`<storage>/.partial\` is ${storage.partialDirectoryExists ? 'empty' : 'absent'}`,
    ),
    check(
      'no stray file (no video of a failed job)',
      storage.stray,
      'only the videos and sidecars of succeeded jobs are stored',
    ),
    check(
      'every failure path behaved as specified',
      paths,
      'route order, failover, final kinds, pinned tasks',
    ),
  ];
}

function unrecordedOutcome(report: JobReport): string[] {
  const id = report.plan.workflowId;
  if (report.execution === 'missing' || report.execution === 'RUNNING') return [];
  const status = report.status;
  if (!status) return [`${id}: ${report.problem}`];
  if (report.execution === 'COMPLETED') {
    return status.status !== 'succeeded' || status.videos.length === 0
      ? [`${id}: completed with status ${status.status}`]
      : [];
  }
  if (report.execution === 'FAILED') {
    const last = lastFailedAttempt(status);
    if (status.status !== 'failed' || !status.error)
      return [`${id}: failed with status ${status.status} and no error`];
    if (triedAttempts(status).length > 0 && (!last?.errorKind || !last.error))
      return [`${id}: last failed attempt has no error kind or message`];
    return [];
  }
  return [`${id}: ended ${report.execution}`];
}

/** A job that failed with providers of its route untried must have had a reason to stop. */
function stoppedEarlyFor(status: GenerationStatus): boolean {
  const last = triedAttempts(status).at(-1);
  if (!last) return false;
  if (last.errorKind && FINAL_KINDS.has(last.errorKind)) return true;
  // An accepted task pins the job: it fails with that task unless the provider failed it.
  const entry = status.spend?.tasks.find(
    (task) => task.provider === last.provider && task.taskId !== undefined,
  );
  return last.providerTaskId !== undefined && entry?.outcome !== 'failed-at-provider';
}

function failurePathProblems(
  report: JobReport,
  tasksFor: (report: JobReport, provider: ProviderId) => FakeTask[],
): string[] {
  const status = report.status;
  if (!status) return [];
  const id = report.plan.workflowId;
  const problems: string[] = [];
  const tried = triedAttempts(status);
  const route = report.plan.route;
  // A batch item's budget allowance may leave a provider out of its plan (priced above what is
  // left): its attempts follow the route, with gaps. Other jobs try the route from the start.
  const expected = report.plan.batchId
    ? route.filter((provider) => tried.some((attempt) => attempt.provider === provider))
    : route;
  tried.forEach((attempt, position) => {
    if (attempt.provider !== expected[position])
      problems.push(`${id}: attempt ${position + 1} at ${attempt.provider}, route ${route}`);
    if (attempt.errorKind === 'invalid-request')
      problems.push(`${id}: ${attempt.provider} invalid-request: ${attempt.error}`);
    if (attempt.errorKind && FINAL_KINDS.has(attempt.errorKind) && position < tried.length - 1)
      problems.push(`${id}: went on after ${attempt.errorKind} at ${attempt.provider}`);
    const outcomes = tasksFor(report, attempt.provider).map((task) => task.outcome);
    if (
      attempt.errorKind === 'content-rejected' &&
      !outcomes.some(
        (outcome) => outcome.type === 'fail' && MODERATION_MESSAGES.includes(outcome.message),
      )
    )
      problems.push(`${id}: content-rejected at ${attempt.provider} without a moderated task`);
    if (attempt.outcome === 'succeeded' && outcomes.some((outcome) => outcome.type !== 'succeed'))
      problems.push(`${id}: succeeded at ${attempt.provider} whose task was ${outcomes[0]?.type}`);
    if (attempt.outcome === 'failed' && !attempt.errorKind)
      problems.push(`${id}: failed attempt at ${attempt.provider} without an error kind`);
  });
  const last = tried.at(-1);
  if (
    status.status === 'failed' &&
    last?.errorKind &&
    status.attempts.length < route.length &&
    // A batch item's plan holds only the providers its budget allowance covers.
    report.plan.batchId === undefined &&
    !stoppedEarlyFor(status)
  )
    problems.push(
      `${id}: failed on ${last.errorKind} at ${last.provider} with ${route.length - status.attempts.length} provider(s) of its route untried`,
    );
  return problems;
}

async function verifyStorage(
  succeeded: JobReport[],
  providers: SimulatedProviderSet,
  storageDirectory: string,
): Promise<{
  corrupt: string[];
  partials: string[];
  stray: string[];
  partialDirectoryExists: boolean;
}> {
  const corrupt: string[] = [];
  const expectedFiles = new Set<string>();
  for (const report of succeeded) {
    const id = report.plan.workflowId;
    const provider = report.status!.provider;
    if (!provider) continue;
    const expected = providers.fakes[provider].videoBuffer;
    const expectedSha = sha256(expected);
    for (const video of report.status!.videos) {
      const sidecarPath = video.path.replace(/\.mp4$/, '.json');
      expectedFiles.add(resolve(video.path));
      expectedFiles.add(resolve(sidecarPath));
      try {
        const bytes = await readFile(video.path);
        const actualSha = sha256(bytes);
        if (bytes.length !== expected.length || actualSha !== expectedSha)
          corrupt.push(
            `${id}: ${video.path} is ${bytes.length} bytes sha256 ${actualSha.slice(0, 12)}, ${provider} served ${expected.length} bytes ${expectedSha.slice(0, 12)}`,
          );
        else if (video.bytes !== expected.length || video.sha256 !== expectedSha)
          corrupt.push(`${id}: status JSON says ${video.bytes} bytes ${video.sha256}`);
        else if (!video.sourceUrl.startsWith(providers.fakes[provider].origin))
          corrupt.push(`${id}: source ${video.sourceUrl} is not ${provider}'s`);
        const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8')) as {
          sha256?: string;
          bytes?: number;
        };
        if (sidecar.sha256 !== expectedSha || sidecar.bytes !== expected.length)
          corrupt.push(`${id}: sidecar says ${sidecar.bytes} bytes ${sidecar.sha256}`);
      } catch (error) {
        corrupt.push(`${id}: ${video.path}: ${error}`);
      }
    }
  }
  const partialDirectory = join(storageDirectory, '.partial');
  const partialDirectoryExists = existsSync(partialDirectory);
  const partials = partialDirectoryExists ? await readdir(partialDirectory) : [];
  const stray: string[] = [];
  if (existsSync(storageDirectory)) {
    for (const name of await readdir(storageDirectory)) {
      const path = resolve(storageDirectory, name);
      if ((await stat(path)).isDirectory()) continue;
      // The worker's learned render times (poll policy) live beside the videos by design.
      if (path === resolve(renderTimeStorePath(storageDirectory))) continue;
      if (!expectedFiles.has(path)) stray.push(name);
    }
  }
  return { corrupt, partials, stray, partialDirectoryExists };
}
