import { randomUUID } from 'node:crypto';

/** The official Kling error envelope and code table, as the official-format fakes answer them. */

export interface OfficialFakeError {
  status: number;
  code: number;
  message: string;
}

/** An official error envelope, e.g. for `injectFault({fault: {type: 'status', body}})`. */
export function officialErrorBody(code: number, message: string): unknown {
  return { code, message, request_id: randomUUID() };
}

/** The official error table (reference/providers.md §1), by code: HTTP status and message. */
export const OFFICIAL_ERRORS: Record<number, { status: number; message: string }> = {
  1000: { status: 401, message: 'Authentication failed' },
  1001: { status: 401, message: 'Authorization is empty' },
  1002: { status: 401, message: 'Authorization is invalid' },
  1003: { status: 401, message: 'Authorization is not yet valid' },
  1004: { status: 401, message: 'Authorization has expired' },
  1100: { status: 429, message: 'Account exception' },
  1101: { status: 429, message: 'Account in arrears (postpaid)' },
  1102: { status: 429, message: 'Resource pack depleted or expired (prepaid)' },
  1103: { status: 403, message: 'Unauthorized access to requested resource' },
  1200: { status: 400, message: 'Invalid request parameters' },
  1201: { status: 400, message: 'Invalid parameters' },
  1202: { status: 404, message: 'Invalid request method' },
  1203: { status: 404, message: 'Requested resource does not exist' },
  1300: { status: 400, message: 'Trigger platform strategy' },
  1301: { status: 400, message: 'Trigger content security policy' },
  1302: { status: 429, message: 'API request too fast, rate limit exceeded' },
  1303: { status: 429, message: 'Concurrency or QPS exceeds prepaid resource package limit' },
  1304: { status: 429, message: 'Trigger IP whitelist policy' },
  5000: { status: 500, message: 'Server internal error' },
  5001: { status: 503, message: 'Server temporarily unavailable' },
  5002: { status: 504, message: 'Server internal timeout' },
};

/** The status and body an official-format provider answers a business error with. */
export function officialError(code: number, detail?: string): OfficialFakeError {
  const known = OFFICIAL_ERRORS[code] ?? { status: 400, message: 'Error' };
  return {
    status: known.status,
    code,
    message: detail ? `${known.message}: ${detail}` : known.message,
  };
}

/** The official code a bare status stands for, so an injected status carries the envelope. */
const CODE_FOR_STATUS: Record<number, number> = {
  400: 1200,
  401: 1000,
  403: 1103,
  404: 1202,
  429: 1302,
  500: 5000,
  503: 5001,
  504: 5002,
};

/** The official envelope for an injected HTTP status (the status faults' default body). */
export function officialErrorBodyFor(status: number): unknown {
  const code = CODE_FOR_STATUS[status] ?? (status >= 500 ? 5000 : 1200);
  return officialErrorBody(code, officialError(code).message);
}

/** The documented "no such task" answer (404 / code 1203), e.g. on a status or lookup. */
export function officialNotFoundFault() {
  return officialFault(1203);
}

/** `injectFault` rule body for a business-code fault, e.g. 429 + `{code: 1102}`. */
export function officialFault(code: number, headers?: Record<string, string>) {
  const error = officialError(code);
  return {
    type: 'status' as const,
    status: error.status,
    body: officialErrorBody(error.code, error.message),
    ...(headers ? { headers } : {}),
  };
}
