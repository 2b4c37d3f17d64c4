import { Webhook } from 'standardwebhooks';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError } from '../errors.js';

/** Standard Webhooks secrets are `whsec_` followed by the base64 of the key bytes. */
export const NOTIFY_SECRET_PREFIX = 'whsec_';
/** Shorter keys are refused: a signature is only as strong as its key (24+ bytes recommended). */
export const MIN_NOTIFY_KEY_BYTES = 16;

/**
 * The signer for completion notifications, from KLINGFLOW_NOTIFY_SECRET (`whsec_<base64>`, as
 * Standard Webhooks libraries and receivers expect it). Read where it is used (the client's
 * validation, the worker's notify activity): the secret never enters a workflow input or history.
 * Throws a ConfigurationError naming the variable (never showing the value) when it is unset or
 * malformed.
 */
export function notifySigner(environment: NodeJS.ProcessEnv = process.env): Webhook {
  const name = VARIABLES.notifySecret;
  const value = environment[name]?.trim();
  if (!value) {
    throw new ConfigurationError(name, 'is not set: it signs completion notifications');
  }
  const encoded = value.startsWith(NOTIFY_SECRET_PREFIX)
    ? value.slice(NOTIFY_SECRET_PREFIX.length)
    : undefined;
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new ConfigurationError(
      name,
      `must be ${NOTIFY_SECRET_PREFIX} followed by base64 (e.g. ${NOTIFY_SECRET_PREFIX}$(openssl rand -base64 32))`,
    );
  }
  if (Buffer.from(encoded, 'base64').length < MIN_NOTIFY_KEY_BYTES) {
    throw new ConfigurationError(
      name,
      `the key after ${NOTIFY_SECRET_PREFIX} must decode to at least ${MIN_NOTIFY_KEY_BYTES} bytes`,
    );
  }
  try {
    return new Webhook(value);
  } catch (cause) {
    throw new ConfigurationError(name, 'is not a usable Standard Webhooks secret', { cause });
  }
}
