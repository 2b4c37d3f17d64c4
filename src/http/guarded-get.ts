import { type Dispatcher, request } from 'undici';
import { assertFetchableUrl, redactUrl } from './guarded-agent.js';
import { headerValue } from './headers.js';

export interface GuardedGetOptions {
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  maxRedirects?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class TooManyRedirectsError extends Error {
  override readonly name = 'TooManyRedirectsError';
  readonly kind = 'too-many-redirects' as const;
}

/**
 * GET that follows redirects by hand so every hop passes the address policy: the guarded agent
 * checks DNS answers, but a redirect to a literal IP never goes through DNS. Used by result
 * downloads and image fetches.
 */
export async function guardedGet(
  url: string,
  options: GuardedGetOptions,
): Promise<{ response: Dispatcher.ResponseData; finalUrl: string }> {
  const maxRedirects = options.maxRedirects ?? 5;
  let current = url;
  for (let hop = 0; ; hop++) {
    assertFetchableUrl(current, options.allowPrivateNetwork);
    const response = await request(current, {
      method: 'GET',
      dispatcher: options.dispatcher,
      headers: options.headers,
      signal: options.signal,
    });
    const location = headerValue(response.headers.location);
    if (!REDIRECT_STATUSES.has(response.statusCode) || !location) {
      return { response, finalUrl: current };
    }
    await response.body.dump().catch(() => undefined);
    if (hop >= maxRedirects) {
      throw new TooManyRedirectsError(
        `${redactUrl(url)} redirected more than ${maxRedirects} times`,
      );
    }
    current = new URL(location, current).toString();
  }
}

/**
 * Drops a response body we will not read. Destroying an unfinished undici body makes it emit an
 * abort error; nobody is listening for it any more, so it is swallowed here.
 */
export function discardBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}
