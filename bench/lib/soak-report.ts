import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { ProviderId } from '../../src/request/unified-request.js';
import { machineDescription, markdownTable } from './report.js';

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
  downloads: number;
  succeededOn: number;
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
  settings: {
    jobs: number;
    waves: number;
    waveIntervalSeconds: number;
    renderSeconds: [number, number];
    pollIntervalSeconds: number;
    workerKills: number;
    serverRestarts: number;
    stuckAttemptDeadlineSeconds: number;
    providers: ProviderId[];
  };
  outcomes: { succeeded: number; failed: number; other: number };
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
  lost: string[];
  stuck: string[];
  kills: SoakKill[];
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

const round1 = (value: number) => Math.round(value * 10) / 10;

function countsTable(label: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts)
    .sort(([, left], [, right]) => right - left)
    .map(([name, count]) => [name, count]);
  return rows.length === 0 ? `_no ${label}_` : markdownTable([label, 'count'], rows);
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
      'downloads',
      'jobs succeeded on it',
    ],
    result.providers.map((figures) => [
      figures.provider,
      figures.routedFirst,
      figures.tasks,
      figures.submitRequests,
      figures.statusRequests,
      figures.downloads,
      figures.succeededOn,
    ]),
  );
  const events = markdownTable(
    ['event', 'at s', 'detail'],
    [
      ...result.kills.map((kill, index) => [
        `worker SIGKILL ${index + 1}`,
        kill.atSeconds,
        `pid ${kill.pid}; new worker connected ${kill.replacedAfterSeconds} s later`,
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
  const diagnoses = result.diagnoses.length
    ? `\n\n### Diagnosis\n\n${result.diagnoses.map((line) => `- ${line}`).join('\n')}`
    : '';
  const notes = result.notes.length
    ? `\n\nNotes:\n\n${result.notes.map((note) => `- ${note}`).join('\n')}`
    : '';
  return `## Soak

Written by \`npm run soak\` (bench/soak.ts) on ${date.toISOString().slice(0, 10)}:
**${result.passed ? 'passed' : 'FAILED'}**. Seed \`${result.seed}\`: \`SOAK_SEED=${result.seed} npm run soak\`
repeats the plan (requests, routes, render times, task outcomes, faults) and the kill and restart
moments; how concurrent jobs interleave is not repeatable. Machine: ${machineDescription()}.

- ${s.jobs} jobs across ${s.providers.join(', ')} (simulated providers), started in ${s.waves} waves
  ${s.waveIntervalSeconds} s apart; renders ${s.renderSeconds[0]}–${s.renderSeconds[1]} s, poll interval ${s.pollIntervalSeconds} s.
- One real \`klingflow worker\` process at a time, killed with SIGKILL ${s.workerKills} times at random
  moments and replaced at once; the dev server (SQLite) stopped and started again
  ${s.serverRestarts} time(s) on the same port and database file.
- Faults: 5xx, 429 with Retry-After, hangs, credit exhaustion, malformed JSON, cut connections,
  moderation and plain task failures, stuck tasks (attempt deadline ${s.stuckAttemptDeadlineSeconds} s on those jobs).

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

### Providers

${providers}

### Faults

${countsTable('fault injected', { ...result.faultsInjected, ...prefixed('task ', result.plannedTaskOutcomes) })}

### Kills and restart

${events}${notes}${diagnoses}
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
