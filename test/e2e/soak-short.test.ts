import { beforeAll, describe, expect, it } from 'vitest';
import { parseSoakSeed, runSoak, type SoakResult } from '../../bench/soak/run.js';

/**
 * The soak (bench/soak/, `npm run soak`) in small: 30 jobs across the six simulated providers
 * with random faults (gateway pages after accept, lookup errors, 401 and bare 404 on status
 * calls among them), the last 6 as a batch with a budget and failover faults, a real worker
 * process killed with SIGKILL twice and stopped with SIGTERM once (during a slow submit), and
 * the test's own dev server (not the run's shared one) restarted once on the same port and
 * SQLite file. One run; each property below is checked on its outcome. SOAK_SEED reproduces a
 * failing run's plan.
 */
describe('short soak: 30 jobs, faults, a budgeted batch, SIGKILLs, a SIGTERM and a dev-server restart', () => {
  let result: SoakResult;

  beforeAll(async () => {
    result = await runSoak({
      jobs: 30,
      waves: 2,
      waveIntervalMs: 12_000,
      workerKills: 2,
      workerStops: 1,
      serverRestarts: 1,
      hangs: 1,
      faultRate: 0.4,
      taskFaultRate: 0.2,
      stuckAttemptDeadlineMs: 12_000,
      stuckFailoverAfterMs: 15_000,
      stuckJobDeadlineMs: 40_000,
      batchItems: 6,
      // Room for a submit lost in a kill (its start-to-close timeout), its retry, and a graceful
      // stop that waits for a slow submit.
      closeTimeoutMs: 200_000,
      seed: parseSoakSeed(process.env.SOAK_SEED),
      log: (message) => console.error(`[soak-short] ${message}`),
    });
  }, 420_000);

  const failedCheck = (name: string) => {
    const entry = result.checks.find((check) => check.name === name);
    expect(entry, `no check named "${name}"`).toBeDefined();
    return entry!.passed ? undefined : `seed ${result.seed}: ${entry!.detail}`;
  };

  it('kills the worker twice, stops it gracefully once and restarts the dev server once', () => {
    expect(result.kills).toHaveLength(2);
    expect(result.stops).toHaveLength(1);
    expect(result.restarts).toHaveLength(1);
    expect(failedCheck('the planned kills, stops and restarts happened')).toBeUndefined();
    expect(failedCheck('every graceful stop ended by itself')).toBeUndefined();
  });

  it('loses no job: every workflow the run started exists', () => {
    expect(result.lost).toEqual([]);
    expect(failedCheck('no job lost')).toBeUndefined();
  });

  it('leaves no job stuck: every workflow closed within the bound', () => {
    expect(result.stuck).toEqual([]);
    expect(failedCheck('no job stuck')).toBeUndefined();
  });

  it('ends every job succeeded or failed (or skipped by the batch budget), each failure recorded', () => {
    const { succeeded, failed, skipped, other } = result.outcomes;
    expect(succeeded + failed + skipped).toBe(30);
    expect(other).toBe(0);
    expect(succeeded).toBeGreaterThan(0);
    expect(failedCheck('every job succeeded or failed with a recorded reason')).toBeUndefined();
  });

  it('never creates two tasks for one job at one provider', () => {
    expect(result.duplicates).toEqual([]);
    expect(failedCheck('no duplicate submission')).toBeUndefined();
    expect(failedCheck('a succeeded job has exactly one task at its provider')).toBeUndefined();
  });

  it("puts every task a provider created in its job's spend ledger", () => {
    expect(result.spend.fakeTasks).toBeGreaterThan(0);
    expect(failedCheck('tasks created at the fakes = tasks in the ledgers')).toBeUndefined();
  });

  it('pays for at most one task per job, unless the provider failed the earlier one or the job opted in', () => {
    const { zero, one, twoOrMore, why } = result.paidTasks;
    expect(zero + one + twoOrMore).toBe(30);
    expect(why).not.toHaveProperty('NOT ALLOWED');
    expect(
      failedCheck(
        'at most one paid task per job, unless the provider failed the earlier one or the job opted in',
      ),
    ).toBeUndefined();
    expect(result.markdown).toContain('### Paid tasks per job');
  });

  it("keeps the budgeted batch's ledgers within its max cost", () => {
    expect(result.batch?.items).toBe(6);
    expect(result.batch!.ledgerUsd).toBeLessThanOrEqual(result.batch!.maxCost);
    expect(failedCheck("the budgeted batch's ledger stays within its max cost")).toBeUndefined();
  });

  it('stores every video whole and verified, nothing partial, nothing for failed jobs', () => {
    expect(failedCheck('no corrupt or partial video')).toBeUndefined();
    expect(failedCheck('nothing left in .partial')).toBeUndefined();
    expect(failedCheck('no stray file (no video of a failed job)')).toBeUndefined();
  });

  it('takes each failure path as specified: failover, final kinds, route order, pinned tasks', () => {
    expect(failedCheck('every failure path behaved as specified')).toBeUndefined();
  });

  it('passes as a whole, and says so in its report section', () => {
    expect(result.checks.filter((check) => !check.passed)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.markdown).toMatch(/^## Soak\n/);
    expect(result.markdown).toContain(`Seed \`${result.seed}\``);
  });
});
