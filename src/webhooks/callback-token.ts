import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError } from '../errors.js';

/**
 * Per-task callback URLs. Each provider task gets its own URL,
 * `${publicUrl}/callbacks/${workflowId}/${attempt}/${token}`, where the token is an HMAC of the
 * workflow id and attempt under a secret only the workers know. So a callback proves it came
 * from someone we gave that URL to (the provider), and a guessed or forged one is refused.
 *
 * The token is computed on the worker, inside the submit activity, and only sent to the
 * provider: it is never part of a workflow input, result or history event.
 */

/** Characters of the base64url HMAC kept in the URL: 32 characters are 192 bits. */
export const CALLBACK_TOKEN_LENGTH = 32;

/** The environment variable holding the shared secret (the same value on every worker). */
export const WEBHOOK_SECRET_VARIABLE = VARIABLES.webhookSecret;

/** Shorter secrets are refused: the token is only as strong as the secret. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** Path segment every callback URL starts with, after the public URL's own path. */
export const CALLBACK_PATH_SEGMENT = 'callbacks';

/** `base64url(HMAC-SHA256(secret, "${workflowId}\n${attempt}"))`, truncated. */
export function callbackToken(
  secret: string | Buffer,
  workflowId: string,
  attempt: number,
): string {
  return createHmac('sha256', secret)
    .update(`${workflowId}\n${attempt}`)
    .digest('base64url')
    .slice(0, CALLBACK_TOKEN_LENGTH);
}

/** True when `token` is the one issued for this workflow and attempt (constant-time compare). */
export function verifyCallbackToken(
  secret: string | Buffer,
  workflowId: string,
  attempt: number,
  token: string,
): boolean {
  const expected = Buffer.from(callbackToken(secret, workflowId, attempt), 'utf8');
  const given = Buffer.from(token, 'utf8');
  // The length is public (always CALLBACK_TOKEN_LENGTH); only the content needs constant time.
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** The public URL without trailing slashes, so paths join with exactly one `/`. */
export function normalisePublicUrl(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

/**
 * The URL one provider task is told to call back. Undefined for the workflow ids `.` and `..`:
 * HTTP clients fold those path segments away (encoded or not), so that task is only polled.
 */
export function callbackUrl(
  publicUrl: string,
  secret: string | Buffer,
  workflowId: string,
  attempt: number,
): string | undefined {
  if (workflowId === '.' || workflowId === '..') return undefined;
  const token = callbackToken(secret, workflowId, attempt);
  return `${normalisePublicUrl(publicUrl)}/${CALLBACK_PATH_SEGMENT}/${encodeURIComponent(workflowId)}/${attempt}/${token}`;
}

/** The `callbackUrl` dependency of `createKlingflowWorker`: workflow id + attempt → URL. */
export function callbackUrlBuilder(
  publicUrl: string,
  secret: string | Buffer,
): (workflowId: string, attempt: number) => string | undefined {
  const base = normalisePublicUrl(publicUrl);
  return (workflowId, attempt) => callbackUrl(base, secret, workflowId, attempt);
}

export interface WebhookSecret {
  secret: Buffer;
  /** True when no secret was configured and a random one was made for this process. */
  generated: boolean;
}

/**
 * The secret from KLINGFLOW_WEBHOOK_SECRET, or a random one for this process when it is unset
 * (then only this worker, until it restarts, can verify the URLs it handed out).
 */
export function resolveWebhookSecret(environment: NodeJS.ProcessEnv = process.env): WebhookSecret {
  const configured = environment[WEBHOOK_SECRET_VARIABLE];
  if (configured === undefined || configured === '') {
    return { secret: randomBytes(32), generated: true };
  }
  if (configured.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new ConfigurationError(
      WEBHOOK_SECRET_VARIABLE,
      `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
    );
  }
  return { secret: Buffer.from(configured, 'utf8'), generated: false };
}
