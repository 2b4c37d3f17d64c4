import type { SimulatedProviderSet } from '../../src/simulated/index.js';
import { percentile } from '../lib/process-stats.js';
import type { JobReport } from './jobs.js';
import { POLL_INTERVAL_MS, type SoakSettings } from './options.js';
import { jobIndexOf } from './plan.js';
import { roundSeconds, soakMarkdown } from './report.js';
import type { SpendFindings } from './spend-checks.js';
import { lastFailedAttempt, triedAttempts } from './status.js';
import type {
  SoakBatchFigures,
  SoakCheck,
  SoakKill,
  SoakProviderFigures,
  SoakRestart,
  SoakResult,
  SoakStop,
} from './types.js';

/** The run's figures, from the jobs' statuses and the fakes' logs, and its markdown. */

export interface SummaryInput {
  seed: number;
  passed: boolean;
  checks: SoakCheck[];
  notes: string[];
  settings: SoakSettings;
  jobs: JobReport[];
  providers: SimulatedProviderSet;
  spend: SpendFindings | undefined;
  batch: SoakBatchFigures | undefined;
  /** Workflow ids of the batch items the batch skipped. */
  skippedItems: Set<string>;
  kills: SoakKill[];
  stops: SoakStop[];
  restarts: SoakRestart[];
  unexpectedWorkerExits: number;
  faultsInjected: Record<string, number>;
  wallSeconds: number;
  workerPeakRssMb: number;
  workDirectory: string | undefined;
}

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

function outcomeFigures(jobs: JobReport[], skippedItems: Set<string>) {
  const finalErrorKinds: Record<string, number> = {};
  const attemptErrorKinds: Record<string, number> = {};
  const plannedTaskOutcomes: Record<string, number> = {};
  const ambiguousSubmitJobs: Record<string, number> = {};
  const failovers = { jobs: 0, succeeded: 0, transitions: 0 };
  const outcomes = { succeeded: 0, failed: 0, skipped: 0, other: 0 };
  for (const report of jobs) {
    if (report.plan.task !== 'succeed') increment(plannedTaskOutcomes, report.plan.task);
    const status = report.status;
    if (status?.status === 'succeeded' && report.execution === 'COMPLETED') outcomes.succeeded++;
    else if (status?.status === 'failed' && report.execution === 'FAILED') outcomes.failed++;
    else if (skippedItems.has(report.plan.workflowId)) outcomes.skipped++;
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
    if (status.status === 'failed') {
      const last = lastFailedAttempt(status);
      increment(finalErrorKinds, last?.errorKind ?? 'no provider tried');
      if (last?.errorKind === 'ambiguous-submit') increment(ambiguousSubmitJobs, last.provider);
    }
  }
  return {
    finalErrorKinds,
    attemptErrorKinds,
    plannedTaskOutcomes,
    ambiguousSubmitJobs,
    failovers,
    outcomes,
  };
}

export function summarize(input: SummaryInput): SoakResult {
  const { jobs, settings } = input;
  const figures = outcomeFigures(jobs, input.skippedItems);
  const providerFigures: SoakProviderFigures[] = settings.providers.map((provider) => {
    const fake = input.providers.fakes[provider];
    const status = fake.requestsFor('status');
    return {
      provider,
      routedFirst: jobs.filter((report) => report.plan.route[0] === provider).length,
      tasks: fake.submissions,
      submitRequests: fake.requestsFor('submit').length,
      statusRequests: status.length,
      // Our idempotency keys start with `kf-`; task ids never do.
      lookups: status.filter((request) => /\/kf-[0-9a-f]+/.test(request.path)).length,
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
  const spend = input.spend;
  const withoutMarkdown: Omit<SoakResult, 'markdown'> = {
    seed: input.seed,
    passed: input.passed,
    checks: input.checks,
    notes: input.notes,
    diagnoses: diagnose(input),
    settings: {
      jobs: settings.jobs,
      waves: settings.waves,
      waveIntervalSeconds: roundSeconds(settings.waveIntervalMs),
      renderSeconds: [roundSeconds(settings.renderMs[0]), roundSeconds(settings.renderMs[1])],
      pollIntervalSeconds: roundSeconds(POLL_INTERVAL_MS),
      workerKills: settings.workerKills,
      workerStops: settings.workerStops,
      serverRestarts: settings.serverRestarts,
      stuckAttemptDeadlineSeconds: roundSeconds(settings.stuckAttemptDeadlineMs),
      stuckFailoverAfterSeconds: roundSeconds(settings.stuckFailoverAfterMs),
      stuckJobDeadlineSeconds: roundSeconds(settings.stuckJobDeadlineMs),
      batchItems: settings.batchItems,
      providers: settings.providers,
    },
    outcomes: figures.outcomes,
    finalErrorKinds: figures.finalErrorKinds,
    attemptErrorKinds: figures.attemptErrorKinds,
    failovers: figures.failovers,
    plannedTaskOutcomes: figures.plannedTaskOutcomes,
    faultsInjected: input.faultsInjected,
    providers: providerFigures,
    duplicates,
    paidTasks: spend?.paidTasks ?? { zero: 0, one: 0, twoOrMore: 0, why: {} },
    spend: {
      fakeTasks: spend?.fakeTasks ?? 0,
      ledgerTasks: spend?.ledgerTasks ?? 0,
      ambiguousWithoutId: spend?.ambiguousWithoutId ?? 0,
      ambiguousMatched: spend?.ambiguousMatched ?? 0,
      ledgerUsd: spend?.ledgerUsd ?? 0,
      ambiguousSubmitJobs: figures.ambiguousSubmitJobs,
    },
    batch: input.batch,
    lost: jobs
      .filter((r) => r.execution === 'missing' && !input.skippedItems.has(r.plan.workflowId))
      .map((r) => r.plan.workflowId),
    stuck: jobs.filter((report) => report.execution === 'RUNNING').map((r) => r.plan.workflowId),
    kills: input.kills,
    stops: input.stops,
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
 * recorded reason): its submit requests, set against the kills, stops and restart around them.
 */
function diagnose(input: SummaryInput): string[] {
  const lines: string[] = [];
  for (const report of input.jobs) {
    if (input.skippedItems.has(report.plan.workflowId)) continue;
    const problems: string[] = [];
    for (const provider of report.plan.route) {
      const tasks = [...input.providers.fakes[provider].tasks.values()].filter(
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
    const during = (atSeconds: number) => atSeconds >= first - 1 && atSeconds <= last;
    const around = [
      ...input.kills
        .filter((k) => during(k.atSeconds))
        .map((k) => `worker SIGKILL at ${k.atSeconds} s`),
      ...input.stops
        .filter((s) => during(s.atSeconds))
        .map((s) => `worker SIGTERM at ${s.atSeconds} s`),
      ...input.restarts
        .filter((r) => during(r.atSeconds))
        .map((r) => `server restart at ${r.atSeconds} s`),
    ];
    lines.push(
      `${report.plan.workflowId}: ${problems.join('; ')}. Submits: ${submits.join(', ') || 'none'}${
        around.length ? `; meanwhile ${around.join(', ')}` : ''
      }.`,
    );
  }
  return lines;
}
