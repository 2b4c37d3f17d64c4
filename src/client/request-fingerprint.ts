import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { GenerateVideoInput } from '../contracts/generation.js';
import { ValidationError } from '../errors.js';
import { readWorkflowInput } from './workflow-input.js';

/**
 * Rule 5: an existing id may only be attached to with the request it was started with; any
 * other request is refused with a ValidationError on `id` (exit 2 in the CLI).
 */
export async function checkSameRequest(
  client: Client,
  workflowId: string,
  input: GenerateVideoInput,
): Promise<{ kept: KeptSetting[] }> {
  const existing = await readWorkflowInput<GenerateVideoInput>(client, workflowId);
  if (existing?.request && requestFingerprint(existing) === requestFingerprint(input)) {
    return { kept: keptSettings(existing, input) };
  }
  throw new ValidationError([
    {
      field: 'id',
      message: `${workflowId} is already the id of a job for a different request (prompt, options, providers or budget); ids are single-use per request: choose another id, or use the same request to follow that job`,
    },
  ]);
}

/**
 * What makes two generations "the same request" for rule 5 (ids are single-use per request):
 * the validated, normalised request (defaults applied, local images as content-addressed blob
 * references), the failover order and the budget. Everything else (poll interval, deadlines,
 * the stuck-failover opt-in) only changes how the job runs, not what it buys.
 */
export function requestFingerprint(
  input: Pick<GenerateVideoInput, 'request' | 'providers' | 'maxCost'>,
): string {
  const canonical = canonicalJson({
    request: input.request,
    providers: input.providers ?? null,
    maxCost: input.maxCost ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted and undefined members left out, so equal values hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A setting of how a job runs that a new start gave differently; the running job keeps its own. */
export type KeptSetting = (typeof RUN_SETTINGS)[number];

const RUN_SETTINGS = [
  'notifyUrl',
  'failoverStuckAfterMs',
  'pollIntervalMs',
  'attemptDeadlineMs',
  'deadlineMs',
] as const;

/**
 * The settings a start asked for differently from the job it attaches to: they do not change
 * what is bought, so the job is followed, but it goes on with its own (say, its notify URL), and
 * the caller is told rather than left waiting for a notification that will not come.
 */
function keptSettings(existing: GenerateVideoInput, requested: GenerateVideoInput): KeptSetting[] {
  return RUN_SETTINGS.filter(
    (name) => requested[name] !== undefined && requested[name] !== existing[name],
  );
}
