/**
 * `npm run soak`: 300 generations across the simulated providers with random faults, a real
 * worker process killed with SIGKILL five times and stopped with SIGTERM three times, the
 * Temporal dev server restarted once and a budgeted batch under failover; then a check of every
 * job, every provider task against the jobs' spend ledgers, and every stored file. Exits
 * non-zero when a check fails, and writes a `## Soak` section at the end of BENCHMARKS.md.
 *
 *   SOAK_SEED=1234 npm run soak      # the same plan, faults and chaos moments as an earlier run
 *   SOAK_JOBS=60 npm run soak        # a smaller run (waves, kills, stops and restart stay)
 *
 * The run itself is bench/soak/run.ts (`runSoak`), which test/e2e/soak-short.test.ts runs small.
 */
import { fileURLToPath } from 'node:url';
import { writeSoakSection } from './soak/report.js';
import { parseSoakSeed, runSoak } from './soak/run.js';

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

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
      paidTasks: result.paidTasks,
      spend: result.spend,
      batch: result.batch,
      duplicates: result.duplicates.length,
      lost: result.lost.length,
      stuck: result.stuck.length,
      kills: result.kills,
      stops: result.stops,
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
