import { z } from 'zod';
import { PROVIDER_ERROR_KINDS } from '../errors.js';
import { MODELS, MODES, PROVIDER_IDS, unifiedRequestSchema } from '../request/unified-request.js';
import type { GenerateVideoInput, GenerationStatus } from './generation.js';

/**
 * zod schemas of the `generateVideo` workflow's input and result, for programs in other
 * languages that start it directly (`klingflow schema` prints them as JSON Schema). The TypeScript
 * types in generation-types.ts stay the source the workflow compiles against; the checks at the
 * bottom of this file fail the type check when the two drift apart.
 */

const providerId = z.enum(PROVIDER_IDS);
const priceSchema = z.object({
  amount: z.number(),
  unit: z.enum(['USD', 'PTC', 'credits', 'base-units']),
  usd: z.number().optional().describe('estimated USD, when the unit converts'),
});

export const generateVideoInputSchema = z
  .object({
    request: unifiedRequestSchema.describe(
      'the unified request with defaults applied; images are http(s) URLs or blob:sha256:<hex> references stored by a klingflow client',
    ),
    providers: z.array(providerId).optional().describe('failover order'),
    maxCost: z.number().positive().optional().describe('hard cap on the job spend, USD'),
    pollIntervalMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('milliseconds between status calls (the klingflow client refuses under 100)'),
    attemptDeadlineMs: z.number().int().positive().optional(),
    deadlineMs: z.number().int().positive().optional(),
    batchId: z.string().optional(),
    failoverStuckAfterMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'opt-in: pay the next provider once an accepted task is stuck this long, in milliseconds (the klingflow client refuses under 60000)',
      ),
    notifyUrl: z
      .string()
      .optional()
      .describe(
        'http(s) URL the final status JSON is POSTed to when the job ends, signed the Standard Webhooks way with KLINGFLOW_NOTIFY_SECRET',
      ),
    notifyRetryIntervalMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('first wait between notification attempts (default 1000)'),
  })
  .describe('input of the generateVideo workflow (task queue: KLINGFLOW_TASK_QUEUE, "klingflow")');

const attemptErrorKind = z.enum([
  ...PROVIDER_ERROR_KINDS,
  'ambiguous-submit',
  'over-budget',
  'download-failed',
]);

export const generationStatusSchema = z
  .object({
    workflowId: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
    phase: z
      .enum(['planning', 'submitting', 'waiting', 'downloading', 'storing', 'done'])
      .describe(
        "the workflow's phase; status --json, list and notifications report planning as submitting",
      ),
    provider: providerId.optional(),
    providerTaskId: z.string().optional(),
    model: z.enum(MODELS),
    mode: z.enum(MODES),
    videos: z.array(
      z.object({
        path: z.string().describe('absolute file path, or s3://bucket/key with S3 storage'),
        sha256: z.string(),
        bytes: z.number().int().nonnegative(),
        sourceUrl: z.string(),
        url: z
          .string()
          .optional()
          .describe('presigned GET URL (generate --presign with S3 storage), added by the client'),
      }),
    ),
    attempts: z.array(
      z.object({
        provider: providerId,
        outcome: z.enum(['running', 'succeeded', 'failed', 'skipped']),
        providerTaskId: z.string().optional(),
        errorKind: attemptErrorKind.optional(),
        error: z.string().optional(),
        estimatedCost: priceSchema.optional(),
      }),
    ),
    estimatedCost: z.object({ amount: z.number(), unit: z.string() }).optional(),
    error: z.string().optional(),
    spend: z.object({
      usd: z.number(),
      byUnit: z.partialRecord(z.string(), z.number()),
      tasks: z.array(
        z.object({
          provider: providerId,
          taskId: z.string().optional(),
          attempt: z.number().int().positive(),
          estimatedCost: priceSchema,
          outcome: z.enum([
            'rendering',
            'delivered',
            'failed-at-provider',
            'abandoned',
            'ambiguous',
          ]),
        }),
      ),
    }),
    polls: z.number().int().nonnegative(),
    startedAt: z.string(),
    elapsedMs: z.number().nonnegative(),
    warnings: z.array(z.string()),
    notification: z
      .object({
        url: z.string().describe('the notify URL without user info, query or fragment'),
        webhookId: z.string().describe('the webhook-id header, the same on every attempt'),
        state: z.enum(['delivered', 'failed']),
        attempts: z.number().int().positive(),
        lastError: z.string().optional(),
      })
      .optional()
      .describe('what became of the completion notification, when a notifyUrl was given'),
    // What a running job's status may add (`status --json`, the status query); a finished
    // job's result never has these, so launchers can ignore them.
    retrying: z
      .object({
        activity: z.string(),
        failedAttempts: z.number().int().positive(),
        error: z.string(),
        nextAttemptAt: z.string().optional(),
      })
      .optional()
      .describe(
        "a running job's step that keeps failing: the workflow's backoff between status calls, or Temporal's pending activities",
      ),
    waitingForSlot: z
      .object({ provider: providerId, limit: z.number().int().positive() })
      .optional()
      .describe(
        "a running job waiting for one of the provider's slots (KLINGFLOW_PROVIDER_CONCURRENCY): nothing submitted yet",
      ),
    waitingForWorker: z
      .object({ taskQueue: z.string(), workersPolling: z.boolean() })
      .optional()
      .describe('no worker answered for this running job (client only)'),
    spendUnknown: z
      .literal(true)
      .optional()
      .describe(
        "the job's ledger could not be read back (no worker answered): spend is unknown, not zero (client only)",
      ),
  })
  .describe(
    'result of the generateVideo workflow (also its "status" query), and the JSON that status --json prints',
  );

/** JSON Schema (draft 2020-12) of the workflow input: what a launcher must send. */
export function workflowInputJsonSchema(): Record<string, unknown> {
  // `output`: the workflow gets the request with defaults applied, so those fields are required.
  return z.toJSONSchema(generateVideoInputSchema, { io: 'output', unrepresentable: 'any' });
}

/** JSON Schema of the workflow result. */
export function workflowResultJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(generationStatusSchema, { io: 'output', unrepresentable: 'any' });
}

// Compile-time drift checks: each side must be assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inputMatches: Same<z.output<typeof generateVideoInputSchema>, GenerateVideoInput> = true;
const resultMatches: Same<z.output<typeof generationStatusSchema>, GenerationStatus> = true;
void inputMatches;
void resultMatches;
