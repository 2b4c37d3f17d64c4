import { describe, expect, it } from 'vitest';
import type { JobReport } from '../../../bench/soak/jobs.js';
import type { JobPlan } from '../../../bench/soak/plan.js';
import {
  ALLOWED_SECOND_TASK,
  batchFigures,
  type CreatedTask,
  matchLedger,
  moneyChecks,
  NOT_ALLOWED,
  spendFindings,
  whySecondTask,
} from '../../../bench/soak/spend-checks.js';
import type { GenerationStatus, SpendTask } from '../../../src/contracts/generation.js';

const usd = (amount: number) => ({ amount, unit: 'USD' as const, usd: amount });

function created(
  provider: CreatedTask['provider'],
  id: string,
  createdAt: number,
  outcome: CreatedTask['task']['outcome'] = { type: 'succeed' },
): CreatedTask {
  return { provider, task: { id, createdAt, outcome } };
}

function entry(
  provider: SpendTask['provider'],
  taskId: string | undefined,
  outcome: SpendTask['outcome'],
  attempt = 1,
): SpendTask {
  return {
    provider,
    ...(taskId !== undefined ? { taskId } : {}),
    attempt,
    estimatedCost: usd(0.5),
    outcome,
  };
}

function job(index: number, ledger: SpendTask[], plan: Partial<JobPlan> = {}): JobReport {
  const spendUsd = ledger.length * 0.5;
  return {
    plan: { index, workflowId: `soak-job${index}`, ...plan } as JobPlan,
    execution: 'COMPLETED',
    status: { spend: { usd: spendUsd, byUnit: {}, tasks: ledger } } as unknown as GenerationStatus,
    problem: undefined,
    seconds: 1,
    submits: [],
  };
}

describe('soak money checks: created tasks against the ledgers', () => {
  it('matches entries by task id and reports a created task that no entry accounts for', () => {
    const tasks = [created('hyprlab', 'task-a', 1), created('302ai', 'task-b', 2)];
    const match = matchLedger(tasks, [entry('hyprlab', 'task-a', 'delivered')]);
    expect(match.unrecorded.map((task) => task.task.id)).toEqual(['task-b']);
    expect(match.phantom).toEqual([]);
  });

  it('lets an ambiguous entry without a task id account for a task at its provider only', () => {
    const tasks = [created('hyprlab', 'task-a', 1)];
    expect(matchLedger(tasks, [entry('hyprlab', undefined, 'ambiguous')]).unrecorded).toEqual([]);
    expect(matchLedger(tasks, [entry('hyprlab', undefined, 'ambiguous')]).ambiguousMatched).toBe(1);
    expect(matchLedger(tasks, [entry('302ai', undefined, 'ambiguous')]).unrecorded).toHaveLength(1);
  });

  it('accepts an ambiguous entry the provider took nothing for, and flags a task id never created', () => {
    const nothingTaken = matchLedger([], [entry('apiframe', undefined, 'ambiguous')]);
    expect(nothingTaken.unrecorded).toEqual([]);
    expect(nothingTaken.ambiguousMatched).toBe(0);
    const phantom = matchLedger([], [entry('kling', 'task-x', 'rendering')]);
    expect(phantom.phantom).toHaveLength(1);
  });
});

describe('soak money checks: a second paid task', () => {
  const failedFirst = [
    created('hyprlab', 'first', 1, { type: 'fail', message: 'render worker crashed' }),
    created('302ai', 'second', 2),
  ];
  const failedLedger = [
    entry('hyprlab', 'first', 'failed-at-provider', 1),
    entry('302ai', 'second', 'delivered', 2),
  ];

  it('is allowed when the provider failed the earlier task (ledger and fake agree)', () => {
    const match = matchLedger(failedFirst, failedLedger);
    expect(whySecondTask(failedFirst, match, false)).toBe(ALLOWED_SECOND_TASK.failed);
  });

  it('is not allowed when the ledger says failed but the provider rendered the task', () => {
    const rendered = [created('hyprlab', 'first', 1), created('302ai', 'second', 2)];
    expect(whySecondTask(rendered, matchLedger(rendered, failedLedger), false)).toBe(NOT_ALLOWED);
  });

  it('is allowed after a stuck task only when the job opted in', () => {
    const stuck = [
      created('hyprlab', 'first', 1, { type: 'stuck' }),
      created('302ai', 'second', 2),
    ];
    const ledger = [
      entry('hyprlab', 'first', 'abandoned', 1),
      entry('302ai', 'second', 'delivered', 2),
    ];
    const match = matchLedger(stuck, ledger);
    expect(whySecondTask(stuck, match, true)).toBe(ALLOWED_SECOND_TASK.optIn);
    expect(whySecondTask(stuck, match, false)).toBe(NOT_ALLOWED);
  });

  it('is allowed after an opted-in stuck task that was cancelled at its provider (fal, Replicate)', () => {
    // The provider's fake records the cancel as the task's end: it no longer reads `stuck`.
    const cancelled = [
      {
        provider: 'replicate' as const,
        task: {
          id: 'first',
          createdAt: 1,
          outcome: { type: 'fail' as const, message: 'canceled' },
          meta: { canceled: 'true' },
        },
      },
      created('openai-hk', 'second', 2),
    ];
    const ledger = [
      entry('replicate', 'first', 'abandoned', 1),
      entry('openai-hk', 'second', 'delivered', 2),
    ];
    const match = matchLedger(cancelled, ledger);
    expect(whySecondTask(cancelled, match, true)).toBe(ALLOWED_SECOND_TASK.optIn);
    expect(whySecondTask(cancelled, match, false)).toBe(NOT_ALLOWED);
  });

  it('counts jobs by paid tasks and fails the check for a job that paid twice without reason', () => {
    const jobs = [
      job(0, []),
      job(1, [entry('kling', 'one', 'delivered')]),
      job(2, failedLedger),
      job(3, [entry('hyprlab', 'a', 'abandoned'), entry('302ai', 'b', 'delivered', 2)]),
    ];
    const byJob: Record<number, CreatedTask[]> = {
      1: [created('kling', 'one', 1)],
      2: failedFirst,
      3: [created('hyprlab', 'a', 1), created('302ai', 'b', 2)],
    };
    const findings = spendFindings(jobs, (report) => byJob[report.plan.index] ?? []);
    expect(findings.paidTasks).toEqual({
      zero: 1,
      one: 1,
      twoOrMore: 2,
      why: { [ALLOWED_SECOND_TASK.failed]: 1, [NOT_ALLOWED]: 1 },
    });
    expect(findings.paidTwice).toHaveLength(1);
    expect(findings.paidTwice[0]).toContain('soak-job3');
    const [ledgerCheck, paidTwiceCheck] = moneyChecks(findings, undefined);
    expect(ledgerCheck!.passed).toBe(true);
    expect(paidTwiceCheck!.passed).toBe(false);
  });
});

describe('soak money checks: the budgeted batch', () => {
  it('fails when the items ledgers sum to more than the max cost', () => {
    const items = [job(0, [entry('hyprlab', 'a', 'delivered')]), job(1, failedLedgerOf())];
    const figures = batchFigures('b', 1.0, items, undefined);
    expect(figures.ledgerUsd).toBe(1.5);
    const findings = spendFindings([], () => []);
    expect(moneyChecks(findings, { figures }).at(-1)!.passed).toBe(false);
    expect(moneyChecks(findings, { figures: { ...figures, maxCost: 1.5 } }).at(-1)!.passed).toBe(
      true,
    );
  });
});

function failedLedgerOf(): SpendTask[] {
  return [
    entry('hyprlab', 'first', 'failed-at-provider', 1),
    entry('302ai', 'second', 'delivered', 2),
  ];
}

describe('soak money checks: what the batch reports', () => {
  it("fails when the batch's own spend differs from its items' ledgers", () => {
    const items = [job(0, [entry('hyprlab', 'a', 'delivered')])];
    const figures = batchFigures('b', 5, items, undefined);
    const findings = spendFindings([], () => []);
    expect(
      moneyChecks(findings, { figures: { ...figures, reportedUsd: 0.5 } }).at(-1)!.passed,
    ).toBe(true);
    expect(moneyChecks(findings, { figures: { ...figures, reportedUsd: 0 } }).at(-1)!.passed).toBe(
      false,
    );
  });
});
