import type { BatchResult } from '../../src/contracts/batch.js';
import type { SpendTask } from '../../src/contracts/generation.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import type { FakeTask } from '../../src/simulated/fake-server.js';
import { check } from './check.js';
import type { JobReport } from './jobs.js';
import type { PaidTasksPerJob, SoakBatchFigures, SoakCheck } from './types.js';

/**
 * The money checks: every task a fake created (what a provider bills) is in its job's ledger,
 * no job paid twice unless the rules allow it, and the budgeted batch kept to its budget.
 * Pure functions of the jobs' statuses and the fakes' tasks, so they can be tested on their own.
 */

export interface CreatedTask {
  provider: ProviderId;
  task: Pick<FakeTask, 'id' | 'createdAt' | 'outcome'> & Partial<Pick<FakeTask, 'meta'>>;
}

export const ALLOWED_SECOND_TASK = {
  failed: 'its earlier task failed at the provider',
  optIn: 'its earlier task was stuck and the job opted in to failover',
} as const;
export const NOT_ALLOWED = 'NOT ALLOWED';

const matches = (entry: SpendTask, created: CreatedTask) =>
  entry.provider === created.provider &&
  entry.taskId !== undefined &&
  (entry.taskId === created.task.id || entry.taskId.includes(created.task.id));

export interface LedgerMatch {
  /** Created tasks no ledger entry accounts for: paid, and nobody knows. */
  unrecorded: CreatedTask[];
  /** Ledger entries with a task id no fake created. */
  phantom: SpendTask[];
  /** Ambiguous entries without a task id, and how many of them matched a created task. */
  ambiguousWithoutId: number;
  ambiguousMatched: number;
  /** The ledger entry of each created task (same order), when there is one. */
  entryOf: (SpendTask | undefined)[];
}

/**
 * One job's created tasks against its ledger. An entry with a task id takes that task; an
 * `ambiguous` entry without one takes a task at its provider that the job never learned the id
 * of (the submit's answer was lost); an unmatched ambiguous entry means the provider took nothing.
 */
export function matchLedger(created: CreatedTask[], ledger: SpendTask[]): LedgerMatch {
  const entryOf: (SpendTask | undefined)[] = created.map(() => undefined);
  const phantom: SpendTask[] = [];
  for (const entry of ledger.filter((candidate) => candidate.taskId !== undefined)) {
    const index = created.findIndex(
      (task, position) => entryOf[position] === undefined && matches(entry, task),
    );
    if (index < 0) phantom.push(entry);
    else entryOf[index] = entry;
  }
  const withoutId = ledger.filter((entry) => entry.taskId === undefined);
  let ambiguousMatched = 0;
  for (const entry of withoutId) {
    const index = created.findIndex(
      (task, position) => entryOf[position] === undefined && task.provider === entry.provider,
    );
    if (index >= 0) {
      entryOf[index] = entry;
      ambiguousMatched += 1;
    }
  }
  return {
    unrecorded: created.filter((_, position) => entryOf[position] === undefined),
    phantom,
    ambiguousWithoutId: withoutId.length,
    ambiguousMatched,
    entryOf,
  };
}

/**
 * Why a job has more than one paid task, or NOT_ALLOWED: every task but the last must have
 * failed at its provider (the ledger says so and the fake agrees), or have been stuck in a job
 * that opted in to paying the next provider.
 */
/**
 * The task was planned stuck. Providers that take a cancel (fal, Replicate) record the job's
 * cancel of an abandoned task as the task's end, so it no longer reads `stuck` at the fake.
 */
function wasStuck(task: CreatedTask): boolean {
  const meta = task.task.meta ?? {};
  return (
    task.task.outcome.type === 'stuck' || meta.canceled === 'true' || meta.cancelled === 'true'
  );
}

export function whySecondTask(
  created: CreatedTask[],
  match: LedgerMatch,
  optedIn: boolean,
): string | undefined {
  if (created.length < 2) return undefined;
  const order = created
    .map((task, position) => ({ task, entry: match.entryOf[position] }))
    .sort((left, right) => left.task.task.createdAt - right.task.task.createdAt);
  const reasons = new Set<string>();
  for (const { task, entry } of order.slice(0, -1)) {
    if (entry?.outcome === 'failed-at-provider' && task.task.outcome.type === 'fail') {
      reasons.add(ALLOWED_SECOND_TASK.failed);
    } else if (optedIn && entry?.outcome === 'abandoned' && wasStuck(task)) {
      reasons.add(ALLOWED_SECOND_TASK.optIn);
    } else {
      return NOT_ALLOWED;
    }
  }
  return [...reasons].join('; ');
}

export interface SpendFindings {
  unrecorded: string[];
  phantom: string[];
  paidTwice: string[];
  paidTasks: PaidTasksPerJob;
  fakeTasks: number;
  ledgerTasks: number;
  ambiguousWithoutId: number;
  ambiguousMatched: number;
  ledgerUsd: number;
}

/** Every job's created tasks against its ledger, and the paid-tasks-per-job table. */
export function spendFindings(
  jobs: JobReport[],
  createdFor: (report: JobReport) => CreatedTask[],
): SpendFindings {
  const findings: SpendFindings = {
    unrecorded: [],
    phantom: [],
    paidTwice: [],
    paidTasks: { zero: 0, one: 0, twoOrMore: 0, why: {} },
    fakeTasks: 0,
    ledgerTasks: 0,
    ambiguousWithoutId: 0,
    ambiguousMatched: 0,
    ledgerUsd: 0,
  };
  for (const report of jobs) {
    const id = report.plan.workflowId;
    const created = createdFor(report);
    const ledger = report.status?.spend?.tasks ?? [];
    const match = matchLedger(created, ledger);
    findings.fakeTasks += created.length;
    findings.ledgerTasks += ledger.length;
    findings.ambiguousWithoutId += match.ambiguousWithoutId;
    findings.ambiguousMatched += match.ambiguousMatched;
    findings.ledgerUsd += report.status?.spend?.usd ?? 0;
    for (const task of match.unrecorded)
      findings.unrecorded.push(`${id}: ${task.provider} task ${task.task.id} is not in its ledger`);
    for (const entry of match.phantom)
      findings.phantom.push(
        `${id}: ledger names ${entry.provider} task ${entry.taskId}, never created`,
      );
    if (created.length === 0) findings.paidTasks.zero += 1;
    else if (created.length === 1) findings.paidTasks.one += 1;
    else {
      findings.paidTasks.twoOrMore += 1;
      const why = whySecondTask(created, match, report.plan.failoverStuckAfterMs !== undefined);
      const key = why || NOT_ALLOWED;
      findings.paidTasks.why[key] = (findings.paidTasks.why[key] ?? 0) + 1;
      if (key === NOT_ALLOWED)
        findings.paidTwice.push(
          `${id}: ${created.length} tasks (${created.map((task) => `${task.provider} ${task.task.id}`).join(', ')})`,
        );
    }
  }
  findings.ledgerUsd = Math.round(findings.ledgerUsd * 1e6) / 1e6;
  return findings;
}

/** The budgeted batch: its items' ledgers summed, against its `maxCost`. */
export function batchFigures(
  batchId: string,
  maxCost: number,
  items: JobReport[],
  result: BatchResult | undefined,
): SoakBatchFigures {
  const ledgerUsd = items.reduce((sum, item) => sum + (item.status?.spend?.usd ?? 0), 0);
  return {
    batchId,
    items: items.length,
    maxCost,
    ledgerUsd: Math.round(ledgerUsd * 1e6) / 1e6,
    reportedUsd: result?.spend?.usd,
    succeeded: result?.succeeded ?? items.filter((i) => i.status?.status === 'succeeded').length,
    failed: result?.failed ?? items.filter((i) => i.status?.status === 'failed').length,
    skipped: result?.skipped ?? 0,
    failedOver: items.filter(
      (item) =>
        (item.status?.attempts ?? []).filter((attempt) => attempt.outcome !== 'skipped').length > 1,
    ).length,
  };
}

/** Items the batch reported as skipped: they never started, so they have no workflow. */
export function skippedItemIds(result: BatchResult | undefined): Set<string> {
  return new Set(
    (result?.items ?? []).filter((item) => item.status === 'skipped').map((i) => i.workflowId),
  );
}

/** The money checks, in the order the report lists them. */
export function moneyChecks(
  findings: SpendFindings,
  batch: { figures: SoakBatchFigures; problem?: string } | undefined,
): SoakCheck[] {
  const checks = [
    check(
      'tasks created at the fakes = tasks in the ledgers',
      [...findings.unrecorded, ...findings.phantom],
      `${findings.fakeTasks} tasks created, each in its job's ledger (${findings.ledgerTasks} entries; ${findings.ambiguousWithoutId} ambiguous without a task id, ${findings.ambiguousMatched} of them matched a task the job never heard of)`,
    ),
    check(
      'at most one paid task per job, unless the provider failed the earlier one or the job opted in',
      findings.paidTwice,
      `${findings.paidTasks.twoOrMore} job(s) with 2+ tasks, each allowed`,
    ),
  ];
  if (batch) {
    const { figures } = batch;
    checks.push(
      check(
        "the budgeted batch's ledger stays within its max cost",
        [
          ...(batch.problem ? [batch.problem] : []),
          ...(figures.ledgerUsd > figures.maxCost + 1e-9
            ? [
                `${figures.batchId}: ledgers sum to $${figures.ledgerUsd}, max cost $${figures.maxCost}`,
              ]
            : []),
          ...(figures.reportedUsd !== undefined &&
          Math.abs(figures.reportedUsd - figures.ledgerUsd) > 1e-6
            ? [
                `${figures.batchId} reports $${figures.reportedUsd}, its items' ledgers sum to $${figures.ledgerUsd}`,
              ]
            : []),
        ],
        `${figures.batchId}: $${figures.ledgerUsd} of $${figures.maxCost} (the batch reports $${figures.reportedUsd ?? '?'}) over ${figures.items} items (${figures.failedOver} failed over, ${figures.skipped} skipped)`,
      ),
    );
  }
  return checks;
}
