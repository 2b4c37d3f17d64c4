import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { machineDescription, markdownTable } from '../lib/report.js';
import type { SoakResult } from './types.js';

/** The `## Soak` section of BENCHMARKS.md, and writing it without touching the rest. */

const round1 = (value: number) => Math.round(value * 10) / 10;

function countsTable(label: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts)
    .sort(([, left], [, right]) => right - left)
    .map(([name, count]) => [name, count]);
  return rows.length === 0 ? `_no ${label}_` : markdownTable([label, 'count'], rows);
}

/** Worker kills, graceful stops and server restarts, in time order. */
function eventsTable(result: Omit<SoakResult, 'markdown'>): string {
  return markdownTable(
    ['event', 'at s', 'detail'],
    [
      ...result.kills.map((kill, index) => [
        `worker SIGKILL ${index + 1}`,
        kill.atSeconds,
        `pid ${kill.pid}; new worker connected ${kill.replacedAfterSeconds} s later`,
      ]),
      ...result.stops.map((stop, index) => [
        `worker SIGTERM ${index + 1}`,
        stop.atSeconds,
        `pid ${stop.pid}${stop.slowSubmitAt ? `, a slow submit at ${stop.slowSubmitAt} in flight` : ''}; exited (${stop.exit}) after ${stop.exitedAfterSeconds} s; new worker connected ${stop.replacedAfterSeconds} s after the SIGTERM`,
      ]),
      ...result.restarts.map((restart) => [
        'dev server restart',
        restart.atSeconds,
        `stop ${restart.stopSeconds} s, start ${restart.startSeconds} s on the same port and SQLite file; ` +
          (restart.workerReconnectedByItself
            ? `the same worker process polled again ${restart.workerBackAfterSeconds} s after the stop`
            : `the worker did not reconnect by itself and was restarted (${restart.workerBackAfterSeconds} s after the stop)`),
      ]),
    ].sort((left, right) => Number(left[1]) - Number(right[1])),
  );
}

/** The "paid tasks per job" table, the ledger totals and the budgeted batch. */
function moneySection(result: Omit<SoakResult, 'markdown'>): string {
  const paid = result.paidTasks;
  const why = Object.entries(paid.why)
    .map(([reason, jobs]) => `${jobs}: ${reason}`)
    .join('; ');
  const table = markdownTable(
    ['paid tasks', 'jobs', 'why allowed'],
    [
      [
        0,
        paid.zero,
        'nothing was created (refused, skipped, or an ambiguous submit the provider did not take)',
      ],
      [1, paid.one, ''],
      ['2+', paid.twoOrMore, why || '-'],
    ],
  );
  const spend = result.spend;
  const ambiguous = Object.entries(spend.ambiguousSubmitJobs)
    .map(([provider, jobs]) => `${provider} ${jobs}`)
    .join(', ');
  const batch = result.batch
    ? `\n\nBudgeted batch \`${result.batch.batchId}\`: ${result.batch.items} items, max cost $${result.batch.maxCost}; ledgers sum to $${result.batch.ledgerUsd} (the batch reports $${result.batch.reportedUsd ?? '?'}). ${result.batch.succeeded} succeeded, ${result.batch.failed} failed, ${result.batch.skipped} skipped; ${result.batch.failedOver} failed over to a second provider.`
    : '';
  return `### Paid tasks per job

Tasks the fakes created for each job (what a provider bills), from their logs:

${table}

The fakes created ${spend.fakeTasks} tasks; the jobs' ledgers hold ${spend.ledgerTasks} entries
(estimated $${spend.ledgerUsd}), ${spend.ambiguousWithoutId} of them ambiguous submits without a task id, ${spend.ambiguousMatched} of
which matched a task whose id the job never learned. Jobs that ended \`ambiguous-submit\` (reported
and never re-sent, as specified): ${ambiguous || 'none'}.${batch}`;
}

/** The `## Soak` section of BENCHMARKS.md for one run. */
export function soakMarkdown(result: Omit<SoakResult, 'markdown'>, date = new Date()): string {
  const s = result.settings;
  const checks = markdownTable(
    ['check', 'result', 'detail'],
    result.checks.map((check) => [
      check.name,
      check.passed ? 'pass' : '**FAIL**',
      check.detail.replace(/\|/g, '\\|'),
    ]),
  );
  const providers = markdownTable(
    [
      'provider',
      'routed first',
      'tasks created',
      'submit requests',
      'status requests',
      'of those lookups by key',
      'downloads',
      'jobs succeeded on it',
    ],
    result.providers.map((figures) => [
      figures.provider,
      figures.routedFirst,
      figures.tasks,
      figures.submitRequests,
      figures.statusRequests,
      figures.lookups,
      figures.downloads,
      figures.succeededOn,
    ]),
  );
  const diagnoses = result.diagnoses.length
    ? `\n\n### Diagnosis\n\n${result.diagnoses.map((line) => `- ${line}`).join('\n')}`
    : '';
  const notes = result.notes.length
    ? `\n\nNotes:\n\n${result.notes.map((note) => `- ${note}`).join('\n')}`
    : '';
  return `## Soak

Written by \`npm run soak\` (bench/soak.ts, bench/soak/) on ${date.toISOString().slice(0, 10)}:
**${result.passed ? 'passed' : 'FAILED'}**. Seed \`${result.seed}\`: \`SOAK_SEED=${result.seed} npm run soak\`
repeats the plan (requests, routes, render times, task outcomes, faults) and the kill, stop and
restart moments; how concurrent jobs interleave is not repeatable. Machine: ${machineDescription()}.

- ${s.jobs} jobs across ${s.providers.join(', ')} (simulated providers), started in ${s.waves} waves
  ${s.waveIntervalSeconds} s apart; renders ${s.renderSeconds[0]}–${s.renderSeconds[1]} s, poll interval ${s.pollIntervalSeconds} s.
  The last ${s.batchItems} run as one batch with a \`maxCost\` budget and failover faults.
- One real \`klingflow worker\` process at a time, killed with SIGKILL ${s.workerKills} times and stopped
  with SIGTERM ${s.workerStops} times (each while a slow submit is in flight when one comes) at random
  moments, replaced once gone; the dev server (SQLite) stopped and started again
  ${s.serverRestarts} time(s) on the same port and database file.
- Faults: 5xx and 429 (provider envelopes), hangs, credit exhaustion, malformed JSON, cut
  connections, gateway 502 pages after the provider took the submit (with lookup errors on the
  official API), slow submit answers, 401 and bare 404 on status calls after accept, moderation
  and plain task failures, stuck tasks (attempt deadline ${s.stuckAttemptDeadlineSeconds} s; half opt in to failover
  after ${s.stuckFailoverAfterSeconds} s, half stay pinned until a ${s.stuckJobDeadlineSeconds} s job deadline).

### Checks

${checks}

### Outcomes

Wall time ${result.wallSeconds} s; job start to close p50 ${result.jobSeconds.p50} s, p95 ${
    result.jobSeconds.p95
  } s, max ${result.jobSeconds.max} s. Worker peak RSS ${result.workerPeakRssMb} MB.

${markdownTable(
  [
    'succeeded',
    'failed',
    'skipped by the batch budget',
    'other',
    'failed over (jobs)',
    'of those succeeded',
    'failovers',
    'duplicates',
  ],
  [
    [
      result.outcomes.succeeded,
      result.outcomes.failed,
      result.outcomes.skipped,
      result.outcomes.other,
      result.failovers.jobs,
      result.failovers.succeeded,
      result.failovers.transitions,
      result.duplicates.length,
    ],
  ],
)}

Why failed jobs failed (error kind of their last attempt):

${countsTable('error kind', result.finalErrorKinds)}

Every failed attempt, failed-over ones included:

${countsTable('error kind', result.attemptErrorKinds)}

${moneySection(result)}

### Providers

${providers}

### Faults

${countsTable('fault injected', { ...result.faultsInjected, ...prefixed('task ', result.plannedTaskOutcomes) })}

### Kills, stops and restart

${eventsTable(result)}${notes}${diagnoses}
`;
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([key, value]) => [prefix + key, value]));
}

export function roundSeconds(milliseconds: number): number {
  return round1(milliseconds / 1000);
}

const HEADER = `# klingflow benchmarks

Figures from \`npm run bench\` (bench/run.ts) and \`npm run soak\` (bench/soak.ts).
`;

/**
 * Writes `section` (which starts with `## Soak`) as the last section of the file: an existing
 * `## Soak` section is removed wherever it is, everything else is kept as it was.
 */
export async function writeSoakSection(path: string, section: string): Promise<void> {
  const existing = existsSync(path) ? await readFile(path, 'utf8') : HEADER;
  await writeFile(path, replaceSoakSection(existing, section));
}

/** The `## Soak` section of a document (up to the next `## ` heading), if it has one. */
export function extractSoakSection(document: string): string | undefined {
  const lines = document.split('\n');
  const start = lines.findIndex((line) => /^## Soak\s*$/.test(line));
  if (start < 0) return undefined;
  const next = lines.findIndex((line, index) => index > start && /^## /.test(line));
  return `${lines
    .slice(start, next >= 0 ? next : undefined)
    .join('\n')
    .replace(/\s+$/, '')}\n`;
}

export function replaceSoakSection(document: string, section: string): string {
  const lines = document.split('\n');
  const start = lines.findIndex((line) => /^## Soak\s*$/.test(line));
  let kept = lines;
  if (start >= 0) {
    const next = lines.findIndex((line, index) => index > start && /^## /.test(line));
    kept = [...lines.slice(0, start), ...(next >= 0 ? lines.slice(next) : [])];
  }
  const before = kept.join('\n').replace(/\s+$/, '');
  return `${before}\n\n${section.replace(/\s+$/, '')}\n`;
}
