import { isTruthy } from '../config/environment.js';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError, type ValidationIssue } from '../errors.js';
import { assertFetchableUrl, BlockedAddressError } from '../http/guarded-agent.js';
import { notifySigner } from './notify-secret.js';

/**
 * Checks a `notifyUrl` before anything is started: an http(s) URL the SSRF guard allows (a
 * private or loopback address only with KLINGFLOW_ALLOW_PRIVATE_NETWORK, as for every URL the
 * workers fetch), and a usable KLINGFLOW_NOTIFY_SECRET to sign with. The worker's notify
 * activity checks the URL again (and DNS answers at connect time). Returns the issues (field
 * `notifyUrl`, at `location` for a batch line), empty when the URL is fine.
 */
export function notifyUrlIssues(
  url: unknown,
  environment: NodeJS.ProcessEnv = process.env,
  location?: string,
): ValidationIssue[] {
  const issue = (message: string): ValidationIssue[] => [
    { field: 'notifyUrl', message, ...(location ? { location } : {}) },
  ];
  if (typeof url !== 'string' || url.trim() === '') return issue('must be an http(s) URL');
  try {
    assertFetchableUrl(url, isTruthy(environment[VARIABLES.allowPrivateNetwork]));
  } catch (error) {
    if (!(error instanceof BlockedAddressError)) throw error;
    return issue(error.message);
  }
  try {
    notifySigner(environment);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return issue(
      `needs ${VARIABLES.notifySecret} (a Standard Webhooks secret, whsec_<base64>) to sign notifications: ${error.message}`,
    );
  }
  return [];
}
