import { beforeAll, describe, expect, it } from 'vitest';
import { parseSoakSeed, runSoak, type SoakResult } from '../../bench/soak.js';

/**
 * The soak (bench/soak.ts, `npm run soak`) in small: 30 jobs across the six simulated providers
 * with random faults, a real worker process killed with SIGKILL twice, and the test's own dev
 * server (not the run's shared one) restarted once on the same port and SQLite file. One run;
 * each property below is checked on its outcome. SOAK_SEED reproduces a failing run's plan.
 */
describe('short soak: 30 jobs, faults, 2 worker SIGKILLs and a dev-server restart', () => {
  let result: SoakResult;

  beforeAll(async () => {
    result = await runSoak({
      jobs: 30,
      waves: 2,
      waveIntervalMs: 12_000,
      workerKills: 2,
      serverRestarts: 1,
      hangs: 1,
      faultRate: 0.35,
      taskFaultRate: 0.15,
      stuckAttemptDeadlineMs: 15_000,
      // Room for a submit lost in a kill (its 2-minute start-to-close timeout) and its retry.
      closeTimeoutMs: 170_000,
      seed: parseSoakSeed(process.env.SOAK_SEED),
      log: (message) => console.error(`[soak-short] ${message}`),
    });
  }, 330_000);

  const failedCheck = (name: string) => {
    const entry = result.checks.find((check) => check.name === name);
    expect(entry, `no check named "${name}"`).toBeDefined();
    return entry!.passed ? undefined : `seed ${result.seed}: ${entry!.detail}`;
  };

  it('kills the worker twice and restarts the dev server once, as planned', () => {
    expect(result.kills).toHaveLength(2);
    expect(result.restarts).toHaveLength(1);
    expect(failedCheck('the planned kills and restarts happened')).toBeUndefined();
  });

  it('loses no job: all 30 workflows exist', () => {
    expect(result.lost).toEqual([]);
    expect(failedCheck('no job lost')).toBeUndefined();
  });

  it('leaves no job stuck: every workflow closed within the bound', () => {
    expect(result.stuck).toEqual([]);
    expect(failedCheck('no job stuck')).toBeUndefined();
  });

  it('ends every job succeeded or failed, with a recorded reason for each failure', () => {
    expect(result.outcomes.succeeded + result.outcomes.failed).toBe(30);
    expect(result.outcomes.other).toBe(0);
    expect(result.outcomes.succeeded).toBeGreaterThan(0);
    expect(failedCheck('every job succeeded or failed with a recorded reason')).toBeUndefined();
  });

  it('never creates two tasks for one job at one provider', () => {
    expect(result.duplicates).toEqual([]);
    expect(failedCheck('no duplicate submission')).toBeUndefined();
    expect(failedCheck('a succeeded job has exactly one task at its provider')).toBeUndefined();
  });

  it('stores every video whole and verified, nothing partial, nothing for failed jobs', () => {
    expect(failedCheck('no corrupt or partial video')).toBeUndefined();
    expect(failedCheck('nothing left in .partial')).toBeUndefined();
    expect(failedCheck('no stray file (no video of a failed job)')).toBeUndefined();
  });

  it('takes each failure path as specified: failover, final kinds, route order', () => {
    expect(failedCheck('every failure path behaved as specified')).toBeUndefined();
  });

  it('passes as a whole, and says so in its report section', () => {
    expect(result.checks.filter((check) => !check.passed)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.markdown).toMatch(/^## Soak\n/);
    expect(result.markdown).toContain(`Seed \`${result.seed}\``);
  });
});
