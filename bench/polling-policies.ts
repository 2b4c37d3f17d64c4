/**
 * Polling policies side by side over a spread of render times: when the first status call
 * comes decides how many paid polls a job makes and how long a finished render waits to be
 * noticed. Run alone with `npx tsx bench/polling-policies.ts` (writes its section and target
 * row into BENCHMARKS.md) or as part of `npm run bench`.
 */

import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { GENERATE_VIDEO_WORKFLOW } from '../src/contracts/generation.js';
import { initialJobSearchAttributes } from '../src/contracts/search-attributes.js';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../src/observability/worker-telemetry.js';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import type { FakeProviderServer } from '../src/simulated/fake-server.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import {
  DEFAULT_FIRST_POLL_POLICY,
  type FirstPollPolicy,
  quantile,
} from '../src/workflows/generation/poll-policy.js';
import { costOf, type HistoryCost } from './history-cost.js';
import { markdownTable, type Target } from './lib/report.js';
import { countServerActions } from './lib/server-actions.js';
import { startWorkerWithFakes } from './lib/worker-with-fakes.js';

export interface PollingPolicy {
  name: string;
  /** A fixed first-poll wait in unscaled ms (the bench's former setting). */
  fixedWaitMs?: number;
  /** Learn render times and poll first at this quantile; absent: the catalog guess. */
  learnedQuantile?: number;
}

export interface PollingPolicyResult {
  policy: PollingPolicy;
  jobs: number;
  /** First-poll wait the measured jobs were planned with, unscaled seconds. */
  firstPollSeconds: number;
  polls: number;
  /** Counted from the history (see history-cost.ts). */
  billableActions: number;
  /** The server's own count per job (its `action` metric), heartbeats included. */
  serverActions: number;
  heartbeats: number;
  /** Of the history's, search-attribute upserts. */
  upserts: number;
  events: number;
  /** Renders already done at the first poll. */
  doneAtFirstPoll: number;
  /** Provider done → download started, unscaled seconds. */
  detectionP50Seconds: number;
  detectionP95Seconds: number;
  /** The default policy of the code (poll-policy.ts). */
  isDefault: boolean;
}

export interface PollingComparison {
  results: PollingPolicyResult[];
  renderSeconds: number;
  pollSeconds: number;
  spread: number;
  scale: number;
  warmupJobs: number;
}

const CATALOG_SHARE = 0.8;

export const POLLING_POLICIES: PollingPolicy[] = [
  { name: 'fixed 168 s (80% of 210 s, the bench until now)', fixedWaitMs: 168_000 },
  { name: 'catalog: 80% of the typical 240 s' },
  { name: 'learned p5', learnedQuantile: 0.05 },
  { name: 'learned p10', learnedQuantile: 0.1 },
  { name: 'learned p25', learnedQuantile: 0.25 },
];

/**
 * Each policy gets a fresh worker, store and fake (kling, 4-minute median render with a
 * log-normal spread); learned policies first finish `warmupJobs` jobs from an empty store
 * (planned from the catalog guess), then all policies run `jobs` jobs at once. Time is scaled
 * by `scale`; counts do not depend on it, latencies are given back unscaled.
 */
export async function comparePollingPolicies(options: {
  address: string;
  metricsUrl: string;
  renderSeconds?: number;
  pollSeconds?: number;
  spread?: number;
  scale?: number;
  jobs?: number;
  warmupJobs?: number;
  policies?: PollingPolicy[];
  log?: (message: string) => void;
}): Promise<PollingComparison> {
  const renderSeconds = options.renderSeconds ?? 240;
  const pollSeconds = options.pollSeconds ?? 10;
  const spread = options.spread ?? 0.1;
  // 1/2: polls 5 s apart, well above the dev server's own pace for timers and retries (about
  // a second, more on a loaded machine), which at 1/10 stretched every interval and hid polls.
  const scale = options.scale ?? 2;
  const jobs = options.jobs ?? 30;
  const warmupJobs = options.warmupJobs ?? 10;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const results: PollingPolicyResult[] = [];
  for (const policy of options.policies ?? POLLING_POLICIES) {
    options.log?.(`polling policy: ${policy.name}, ${jobs} jobs, spread ${spread}`);
    results.push(
      await measurePolicy({
        address: options.address,
        metricsUrl: options.metricsUrl,
        policy,
        renderMs: (renderSeconds * 1000) / scale,
        pollMs: (pollSeconds * 1000) / scale,
        spread,
        scale,
        jobs,
        warmupJobs,
        workflowBundle,
      }),
    );
  }
  return { results, renderSeconds, pollSeconds, spread, scale, warmupJobs };
}

async function measurePolicy(options: {
  address: string;
  metricsUrl: string;
  policy: PollingPolicy;
  renderMs: number;
  pollMs: number;
  spread: number;
  scale: number;
  jobs: number;
  warmupJobs: number;
  workflowBundle: WorkerOptions['workflowBundle'];
}): Promise<PollingPolicyResult> {
  const { policy, scale } = options;
  const learned = policy.learnedQuantile !== undefined;
  const firstPoll: FirstPollPolicy = {
    ...DEFAULT_FIRST_POLL_POLICY,
    ...(learned ? { quantile: policy.learnedQuantile } : {}),
  };
  const setup = await startWorkerWithFakes({
    address: options.address,
    name: 'polling',
    providers: ['kling'],
    renderMs: options.renderMs,
    renderSpread: options.spread,
    pollIntervalMs: options.pollMs,
    ...(policy.fixedWaitMs !== undefined
      ? { initialWaitMs: Math.round(policy.fixedWaitMs / scale) }
      : {}),
    // The catalog guess at the bench's time scale. Learned policies keep the worker's own
    // render-time store (in its fresh storage directory); the others get none.
    routing: {
      initialWaitShare: CATALOG_SHARE / scale,
      firstPoll,
      ...(learned ? {} : { renderTimes: undefined }),
    },
    webhooks: false,
    workflowBundle: options.workflowBundle,
  });
  try {
    return await setup.worker.runUntil(async () => {
      const runRound = (count: number, round: string) =>
        Promise.all(
          Array.from({ length: count }, (_, index) =>
            setup.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
              taskQueue: setup.taskQueue,
              workflowId: `${setup.taskQueue}-${round}-${index}`,
              args: [{ request: REQUEST, providers: ['kling'] }],
              typedSearchAttributes: initialJobSearchAttributes(REQUEST.model),
            }),
          ),
        ).then(async (handles) => {
          await Promise.all(handles.map((handle) => handle.result()));
          return handles;
        });
      // Every policy meets the same renders: the fake draws them as named series.
      const fake = setup.providers.fakes.kling;
      if (learned) {
        fake.startRenderSeries('warmup');
        await runRound(options.warmupJobs, 'warmup');
      }
      fake.startRenderSeries('measured');
      const { result: handles, actions } = await countServerActions(options.metricsUrl, () =>
        runRound(options.jobs, 'measured'),
      );
      return await summarize(policy, handles, fake, { ...options, server: actions });
    });
  } finally {
    await setup.close();
  }
}

const REQUEST = parseUnifiedRequest({ prompt: 'polling policy', model: 'kling-v1.6' });

async function summarize(
  policy: PollingPolicy,
  handles: WorkflowHandle[],
  fake: FakeProviderServer,
  options: { scale: number; server: { total: number; heartbeats: number } },
): Promise<PollingPolicyResult> {
  const costs: HistoryCost[] = [];
  const latencies: number[] = [];
  const firstPolls: number[] = [];
  let doneAtFirstPoll = 0;
  const downloads = fake.requestsFor('download');
  const statusCalls = fake.requestsFor('status');
  for (const handle of handles) {
    costs.push(await costOf(policy.name, handle));
    const result = await handle.result();
    const task = fake.tasks.get(result.providerTaskId ?? '');
    if (!task) throw new Error(`no fake task for ${handle.workflowId}`);
    const renderEnd = task.createdAt + task.renderMs;
    const download = downloads.find((entry) => entry.path.includes(task.id));
    const firstStatus = statusCalls.find((entry) => entry.path.includes(task.id));
    latencies.push(((download?.at ?? Number.NaN) - renderEnd) * options.scale);
    firstPolls.push(((firstStatus?.at ?? Number.NaN) - task.createdAt) * options.scale);
    if ((firstStatus?.at ?? Number.POSITIVE_INFINITY) >= renderEnd) doneAtFirstPoll += 1;
  }
  const mean = (pick: (cost: HistoryCost) => number) =>
    round(costs.reduce((sum, cost) => sum + pick(cost), 0) / costs.length, 1);
  return {
    policy,
    jobs: handles.length,
    firstPollSeconds: round(quantile(firstPolls, 0.5) / 1000, 0),
    polls: mean((cost) => cost.polls),
    billableActions: mean((cost) => cost.billableActions),
    serverActions: round(options.server.total / handles.length, 1),
    heartbeats: round(options.server.heartbeats / handles.length, 1),
    upserts: mean((cost) => cost.upserts),
    events: mean((cost) => cost.events),
    doneAtFirstPoll: round(doneAtFirstPoll / handles.length, 2),
    detectionP50Seconds: round(quantile(latencies, 0.5) / 1000, 1),
    detectionP95Seconds: round(quantile(latencies, 0.95) / 1000, 1),
    isDefault: policy.learnedQuantile === DEFAULT_FIRST_POLL_POLICY.quantile,
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const POLLING_TARGET_NAME = 'billable actions per polled job';
export const POLLING_SECTION_TITLE = 'Polling policies (4-minute renders with a spread)';
/** Latency differences below this (unscaled) are within the run's noise. */
const LATENCY_NOISE_SECONDS = 1;

/** The catalog policy: what production did before learning, the latency baseline. */
function baselineOf(comparison: PollingComparison): PollingPolicyResult | undefined {
  return comparison.results.find(
    (result) => result.policy.learnedQuantile === undefined && !result.policy.fixedWaitMs,
  );
}

function latencyNoWorse(result: PollingPolicyResult, baseline: PollingPolicyResult): boolean {
  return (
    result.detectionP50Seconds <= baseline.detectionP50Seconds + LATENCY_NOISE_SECONDS &&
    result.detectionP95Seconds <= baseline.detectionP95Seconds + LATENCY_NOISE_SECONDS
  );
}

/** The policy with the fewest actions among those detecting no later than the baseline. */
export function bestPolicy(comparison: PollingComparison): PollingPolicyResult | undefined {
  const baseline = baselineOf(comparison);
  if (!baseline) return undefined;
  return comparison.results
    .filter((result) => latencyNoWorse(result, baseline))
    .sort((left, right) => left.serverActions - right.serverActions)[0];
}

export function pollingSection(comparison: PollingComparison): string {
  const { scale, spread, renderSeconds, pollSeconds } = comparison;
  const best = bestPolicy(comparison);
  const rows = comparison.results.map((result) => [
    `${result.policy.name}${result.isDefault ? ' (default)' : ''}${result === best ? ' **best**' : ''}`,
    result.jobs,
    result.firstPollSeconds,
    result.doneAtFirstPoll,
    result.polls,
    result.billableActions,
    result.serverActions,
    result.heartbeats,
    result.upserts,
    result.events,
    result.detectionP50Seconds,
    result.detectionP95Seconds,
  ]);
  return `## ${POLLING_SECTION_TITLE}

Kling fake, median render ${renderSeconds} s with a log-normal spread σ = ${spread} (90% of renders
within ×${round(Math.exp(-1.645 * spread), 2)}–×${round(Math.exp(1.645 * spread), 2)} of the median; providers.md says renders take 3–5 minutes), polls every ${pollSeconds} s,
time scaled 1/${scale} (figures below unscaled). Each policy runs on a fresh worker and store; learned policies first finish
${comparison.warmupJobs} jobs from an empty store (planned from the catalog guess), then every policy runs its jobs at once.
Means per job; detection = provider done → download started; polls include the first
attempt, which only waits out the first-poll delay. Billable actions: counted from the
histories, and by the server itself (its \`action\` metric over the policy's measured jobs),
which also counts heartbeats; the target is the server's count.

${markdownTable(
  [
    'policy',
    'jobs',
    'first poll s (median)',
    'share done at first poll',
    'polls',
    'billable actions (history)',
    'billable actions (server count)',
    'of which heartbeats',
    'of which upserts',
    'history events',
    'detection p50 s',
    'detection p95 s',
  ],
  rows,
)}

Best = fewest billable actions (server count) among the policies whose detection p50 and p95 stay within
${LATENCY_NOISE_SECONDS} s of the catalog policy's (what production did before). A first poll at a
higher quantile saves polls but leaves more renders waiting for it: their detection latency is
the gap to the first poll, not the poll interval. Learned quantiles here come from only
${comparison.warmupJobs} warm-up renders, so neighbouring quantiles can land close together.`;
}

export function pollingTarget(comparison: PollingComparison): Target {
  const chosen = comparison.results.find((result) => result.isDefault);
  const baseline = baselineOf(comparison);
  if (!chosen || !baseline) {
    return { name: POLLING_TARGET_NAME, target: '≤ 12', measured: 'not measured', met: false };
  }
  const latencyOk = latencyNoWorse(chosen, baseline);
  const met = chosen.serverActions <= 12 && latencyOk;
  const measured = `${chosen.serverActions} by the server's count, ${chosen.heartbeats} of them heartbeats (${chosen.policy.name}; catalog policy ${baseline.serverActions}; ${chosen.billableActions} from the history); detection p50/p95 ${chosen.detectionP50Seconds}/${chosen.detectionP95Seconds} s vs ${baseline.detectionP50Seconds}/${baseline.detectionP95Seconds} s`;
  return {
    name: POLLING_TARGET_NAME,
    target: '≤ 12, detection no worse',
    measured,
    met,
    ...(met
      ? {}
      : {
          note: [
            chosen.serverActions > 12
              ? `missed by ${round(chosen.serverActions - 12, 1)}: ${chosen.polls} poll attempts a job (the catalog policy ${baseline.polls}; the first attempt only waits out the first-poll delay, in place of a timer), ${chosen.heartbeats} heartbeats and ${round(chosen.billableActions - chosen.polls, 1)} other actions: the start, route planning, the submit, the download and ${chosen.upserts} search-attribute updates (the version patch's and \`waiting\` with the provider); with σ = ${comparison.spread} the renders spread over more poll intervals than a first poll can skip without leaving the fast ones waiting`
              : '',
            latencyOk ? '' : 'detection latency worse than the catalog policy',
          ]
            .filter(Boolean)
            .join('; '),
        }),
  };
}

/** Replaces the target's row in BENCHMARKS.md's targets table (appends it when missing). */
export function upsertTargetRow(document: string, row: string, name: string): string {
  const lines = document.split('\n');
  const existing = lines.findIndex((line) => line.startsWith(`| ${name} |`));
  if (existing >= 0) {
    lines[existing] = row;
    return lines.join('\n');
  }
  const heading = lines.findIndex((line) => line.trim() === '## Targets');
  let last = heading;
  for (let index = heading + 1; index < lines.length; index++) {
    if (lines[index]?.startsWith('|')) last = index;
    else if (last > heading) break;
  }
  lines.splice(last + 1, 0, row);
  return lines.join('\n');
}
