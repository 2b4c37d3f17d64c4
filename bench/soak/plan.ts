import { BATCH_ITEM_ID_SCHEME, batchItemWorkflowId } from '../../src/contracts/batch.js';
import { catalogProviders, checkRequestAgainstProviders } from '../../src/providers/catalog.js';
import type { ModelOffer } from '../../src/providers/provider.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId, UnifiedRequest } from '../../src/request/unified-request.js';
import { ASPECT_RATIOS } from '../../src/request/unified-request.js';
import type { FakeTask, TaskOutcome } from '../../src/simulated/fake-server.js';
import {
  FAULT_WEIGHTS,
  type FaultKind,
  faultFits,
  MODERATION_MESSAGES,
  PLAIN_FAILURE_MESSAGES,
  type PlannedFault,
  plannedFault,
} from './faults.js';
import { SOAK_PROVIDERS, type SoakSettings } from './options.js';
import { between, pick, type Random, seededRandom, shuffled, weighted } from './random.js';

/** The plan: every job's request, route, render time, task outcome and fault, from the seed. */

export type TaskPlan =
  | 'succeed'
  | 'moderation'
  | 'plain failure'
  | 'stuck, opt-in failover'
  | 'stuck, pinned';

export interface JobPlan {
  index: number;
  /** `job0042`: in the prompt, so every task a fake creates names the job it belongs to. */
  token: string;
  workflowId: string;
  prompt: string;
  request: UnifiedRequest;
  route: ProviderId[];
  renderMs: number;
  wave: number;
  /** What happens to the job's task at its first provider. */
  task: TaskPlan;
  taskOutcome: TaskOutcome;
  attemptDeadlineMs?: number;
  deadlineMs?: number;
  failoverStuckAfterMs?: number;
  /** Injected into the first provider just before the job starts (it hits the next call). */
  fault: PlannedFault | undefined;
  /** Set on the items of the budgeted batch (started by the batch workflow, not one by one). */
  batchId?: string;
}

export interface SoakPlan {
  jobs: JobPlan[];
  /** The budgeted batch, when the run has one. */
  batch?: { batchId: string; maxCost: number; items: JobPlan[] };
}

export function jobToken(index: number): string {
  return `job${String(index).padStart(4, '0')}`;
}

/** The job a provider task (or request body) belongs to, from its prompt. */
export function jobIndexOf(task: Pick<FakeTask, 'request'> | string): number | undefined {
  const text = typeof task === 'string' ? task : task.request.prompt;
  const match = typeof text === 'string' ? /\bjob(\d{4})\b/.exec(text) : null;
  return match ? Number(match[1]) : undefined;
}

/** The price in USD of a request at a provider, when the provider prices in (or converts to) USD. */
export function usdPrice(provider: ProviderId, request: UnifiedRequest): number | undefined {
  const adapter = catalogProviders().find((candidate) => candidate.id === provider);
  const price = adapter?.price(request);
  if (!price) return undefined;
  return price.usd ?? (price.unit === 'USD' ? price.amount : undefined);
}

/** A random request the provider can serve, from its catalog offers (what `providers` lists). */
function requestFor(
  provider: ProviderId,
  prompt: string,
  imageUrl: string,
  random: Random,
): { request: UnifiedRequest; servable: ProviderId[] } {
  const adapter = catalogProviders().find((candidate) => candidate.id === provider);
  if (!adapter) throw new Error(`no catalog entry for ${provider}`);
  for (let tries = 0; tries < 50; tries++) {
    const offer: ModelOffer = pick(random, adapter.capabilities.offers);
    const withImage =
      offer.startImage === 'required' || (offer.startImage === 'optional' && random() < 0.3);
    const fields: Record<string, unknown> = {
      prompt,
      model: offer.model,
      mode: pick(random, offer.modes),
      duration: pick(random, offer.durations),
      ...(withImage ? { startImage: imageUrl } : {}),
      ...(offer.aspectRatio === 'supported' && random() < 0.3
        ? { aspectRatio: pick(random, ASPECT_RATIOS) }
        : {}),
      ...(offer.cfgScale && random() < 0.2 ? { cfgScale: 0.5 } : {}),
      ...(random() < 0.2 ? { negativePrompt: 'blurry' } : {}),
    };
    const request = parseUnifiedRequest(fields);
    const { servable } = checkRequestAgainstProviders(request, SOAK_PROVIDERS);
    if (servable.includes(provider)) return { request, servable };
  }
  throw new Error(`found no request ${provider} can serve`);
}

function taskPlanFor(random: Random, rate: number): TaskPlan {
  const roll = random();
  const share = rate / 4;
  if (roll < share) return 'moderation';
  if (roll < 2 * share) return 'plain failure';
  if (roll < 3 * share) return 'stuck, opt-in failover';
  if (roll < 4 * share) return 'stuck, pinned';
  return 'succeed';
}

function outcomeFor(random: Random, task: TaskPlan): TaskOutcome {
  if (task === 'moderation') return { type: 'fail', message: pick(random, MODERATION_MESSAGES) };
  if (task === 'plain failure')
    return { type: 'fail', message: pick(random, PLAIN_FAILURE_MESSAGES) };
  if (task === 'succeed') return { type: 'succeed' };
  return { type: 'stuck' };
}

function faultKindFor(random: Random, rate: number, provider: ProviderId): FaultKind | undefined {
  if (random() >= rate) return undefined;
  for (;;) {
    const kind = weighted(random, FAULT_WEIGHTS);
    if (faultFits(kind, provider)) return kind;
  }
}

export function planJobs(settings: SoakSettings, seed: number, imageUrl: string): SoakPlan {
  const random = seededRandom(seed);
  const perWave = Math.ceil(settings.jobs / settings.waves);
  const firstBatchIndex = settings.jobs - settings.batchItems;
  // Hangs go to early jobs: each costs a minute, which then overlaps the rest of the run.
  const hangJobs = new Set(
    shuffled(
      random,
      Array.from({ length: Math.max(1, Math.floor(firstBatchIndex * 0.4)) }, (_, index) => index),
    ).slice(0, settings.hangs),
  );
  const batchId = `soak-${seed}-budget`;
  const usdProviders = settings.providers.filter((id) => hasUsdPrices(id));
  const jobs: JobPlan[] = [];
  for (let index = 0; index < settings.jobs; index++) {
    const inBatch = index >= firstBatchIndex && usdProviders.length > 0;
    const candidates = inBatch ? usdProviders : settings.providers;
    const token = jobToken(index);
    const prompt = `${token} a red fox running through fresh snow`;
    // A batch item needs a second provider to fail over to: look for a request that has one.
    let primary = candidates[index % candidates.length]!;
    let { request, servable } = requestFor(primary, prompt, imageUrl, random);
    const alternatives = (id: ProviderId) =>
      servable.filter((other) => other !== id && candidates.includes(other));
    for (let tries = 1; inBatch && alternatives(primary).length === 0 && tries < 24; tries++) {
      primary = candidates[(index + Math.floor(tries / 4)) % candidates.length]!;
      ({ request, servable } = requestFor(primary, prompt, imageUrl, random));
    }
    const others = shuffled(random, alternatives(primary));
    let task = inBatch
      ? random() < 0.5
        ? 'plain failure'
        : 'succeed'
      : taskPlanFor(random, settings.taskFaultRate);
    // An opt-in failover needs somewhere to go; without a second provider the job stays pinned.
    if (task === 'stuck, opt-in failover' && others.length === 0) task = 'stuck, pinned';
    const fallbacks = others.slice(
      0,
      Math.max(inBatch || task === 'stuck, opt-in failover' ? 1 : 0, between(random, 0, 2)),
    );
    const faultKind: FaultKind | undefined = hangJobs.has(index)
      ? 'status hang'
      : inBatch
        ? random() < 0.3
          ? 'credits exhausted'
          : undefined
        : faultKindFor(random, settings.faultRate, primary);
    jobs.push({
      index,
      token,
      workflowId: inBatch
        ? batchItemWorkflowId(batchId, token, BATCH_ITEM_ID_SCHEME)
        : `soak-${seed}-${token}`,
      prompt,
      request,
      route: [primary, ...fallbacks],
      renderMs: between(random, settings.renderMs[0], settings.renderMs[1]),
      wave: Math.floor(index / perWave),
      task,
      taskOutcome: outcomeFor(random, task),
      ...stuckLimits(task, settings),
      fault: faultKind ? batchSized(plannedFault(faultKind, primary, random), inBatch) : undefined,
      ...(inBatch ? { batchId } : {}),
    });
  }
  const items = jobs.filter((job) => job.batchId !== undefined);
  if (items.length === 0) return { jobs };
  // The budget covers every item's first provider once: failovers (a failed task is paid, then
  // the next provider is paid too) would overspend it unless the batch holds them back.
  const maxCost = roundCents(
    items.reduce((sum, item) => sum + (usdPrice(item.route[0]!, item.request) ?? 0), 0),
  );
  return { jobs, batch: { batchId, maxCost, items } };
}

/** In the batch a fault hits one call: items share providers, so more would hit them all. */
function batchSized(fault: PlannedFault, inBatch: boolean): PlannedFault {
  if (!inBatch) return fault;
  return { ...fault, rules: fault.rules.map((rule) => ({ ...rule, times: 1 })) };
}

function stuckLimits(task: TaskPlan, settings: SoakSettings): Partial<JobPlan> {
  if (task === 'stuck, pinned')
    return {
      attemptDeadlineMs: settings.stuckAttemptDeadlineMs,
      deadlineMs: settings.stuckJobDeadlineMs,
    };
  if (task === 'stuck, opt-in failover')
    return {
      attemptDeadlineMs: settings.stuckAttemptDeadlineMs,
      failoverStuckAfterMs: settings.stuckFailoverAfterMs,
      // Room for the failover's own render; a job stuck twice still ends.
      deadlineMs: settings.stuckFailoverAfterMs + settings.stuckJobDeadlineMs,
    };
  return {};
}

/** Providers whose prices convert to USD take part in a budget without KLINGFLOW_PRICE_RATES. */
function hasUsdPrices(provider: ProviderId): boolean {
  const adapter = catalogProviders().find((candidate) => candidate.id === provider);
  return adapter?.capabilities.usdPerUnit !== undefined;
}

function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}
