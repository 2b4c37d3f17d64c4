import { baseUrlOf } from './kit/adapter-settings.js';
import type { ProviderHttpSettings } from './kit/provider-http.js';
import { createKlingTokenSource } from './kling-jwt.js';
import { KLING_OFFERING } from './kling-offering.js';
import {
  createOfficialAdapter,
  findOfficialTask,
  type OfficialModelOffer,
  type OfficialTransport,
} from './official-format.js';
import type { ProviderAdapter } from './provider.js';

/**
 * The official Kling API: JWT from access key + secret key, the official wire format, and
 * `external_task_id` as an idempotency key, so an ambiguous submit is resolved by `findTask`.
 */

export const KLING_DEFAULT_BASE_URL = 'https://api-singapore.klingai.com';

export interface KlingSettings {
  accessKey: string;
  secretKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
  /** Clock for the JWT's `exp`/`nbf` (milliseconds); tests move it. */
  now?: () => number;
}

export function createKlingProvider(settings: KlingSettings): ProviderAdapter {
  const tokens = createKlingTokenSource(
    { accessKey: settings.accessKey, secretKey: settings.secretKey },
    settings.now,
  );
  const transport: OfficialTransport = {
    dialect: {
      provider: KLING_OFFERING.id,
      displayName: KLING_OFFERING.displayName,
      callbackField: 'callback_url',
      sendsExternalTaskId: true,
    },
    baseUrl: baseUrlOf(settings.baseUrl, KLING_DEFAULT_BASE_URL),
    http: settings.http,
    authorization: async () => `Bearer ${await tokens.current()}`,
    renewAuthorization: async () => `Bearer ${await tokens.renew()}`,
  };
  return {
    ...createOfficialAdapter(KLING_OFFERING, transport),
    async findTask(externalTaskId, request, context) {
      // A request that does not fit was never submitted, so there is nothing to find.
      const { offer, issues } = KLING_OFFERING.check(request);
      if (!offer || issues.length > 0) return undefined;
      const { officialEndpoint } = offer as OfficialModelOffer;
      return findOfficialTask(transport, officialEndpoint, externalTaskId, context);
    },
  };
}
