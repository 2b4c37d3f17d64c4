import { createAi302Provider } from '../../../src/providers/302ai.js';
import { createApiFrameProvider } from '../../../src/providers/apiframe.js';
import { createApiModelsProvider } from '../../../src/providers/apimodels.js';
import { createFalProvider } from '../../../src/providers/fal.js';
import { createHyprLabProvider } from '../../../src/providers/hyprlab.js';
import type { ProviderHttpSettings } from '../../../src/providers/kit/provider-http.js';
import { createKlingProvider } from '../../../src/providers/kling.js';
import { createOpenAiHkProvider } from '../../../src/providers/openai-hk.js';
import type { ImageResolver, ProviderAdapter } from '../../../src/providers/provider.js';
import { createReplicateProvider } from '../../../src/providers/replicate.js';
import {
  type ProviderId,
  type UnifiedRequest,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';
import {
  AI302_FAKE_API_KEY,
  ai302ErrorBodyFor,
  ai302NotFoundFault,
  startAi302Fake,
} from '../../../src/simulated/302ai-fake.js';
import {
  APIFRAME_FAKE_API_KEY,
  apiFrameErrorBodyFor,
  apiFrameNotFoundFault,
  startApiFrameFake,
} from '../../../src/simulated/apiframe-fake.js';
import {
  APIMODELS_FAKE_API_KEY,
  apiModelsErrorBodyFor,
  apiModelsNotFoundFault,
  startApiModelsFake,
} from '../../../src/simulated/apimodels-fake.js';
import type { FakeProviderServer, Fault } from '../../../src/simulated/fake-server.js';
import {
  FAL_FAKE_API_KEY,
  falErrorBodyFor,
  falNotFoundFault,
  startFalFake,
} from '../../../src/simulated/fal-fake.js';
import {
  HYPRLAB_FAKE_API_KEY,
  hyprLabErrorBodyFor,
  hyprLabNotFoundFault,
  startHyprLabFake,
} from '../../../src/simulated/hyprlab-fake.js';
import {
  KLING_FAKE_ACCESS_KEY,
  KLING_FAKE_SECRET_KEY,
  startKlingFake,
} from '../../../src/simulated/kling-fake.js';
import {
  officialErrorBodyFor,
  officialNotFoundFault,
} from '../../../src/simulated/official-format-fake.js';
import {
  OPENAI_HK_FAKE_API_KEY,
  startOpenAiHkFake,
} from '../../../src/simulated/openai-hk-fake.js';
import {
  REPLICATE_FAKE_API_KEY,
  replicateErrorBodyFor,
  replicateNotFoundFault,
  startReplicateFake,
} from '../../../src/simulated/replicate-fake.js';

/**
 * Every adapter with its fake, a request it serves, and its own error envelope: what the
 * cross-adapter tests (resend allow-list, status after accept) run against.
 */
export interface AdapterCase {
  id: ProviderId;
  start(): Promise<FakeProviderServer>;
  create(baseUrl: string, http: ProviderHttpSettings): ProviderAdapter;
  request: UnifiedRequest;
  /** The provider's own error envelope for an HTTP status. */
  envelope(status: number): unknown;
  /** The provider's documented "no such task" answer. */
  notFound: Fault;
}

function unified(input: Record<string, unknown>): UnifiedRequest {
  return unifiedRequestSchema.parse({ prompt: 'a cat in a garden', ...input });
}

export function imageResolver(): ImageResolver {
  return {
    asUrl: async (reference) => reference,
    asBase64: async () => 'ZmFrZQ==',
    asDataUri: async () => 'data:image/png;base64,ZmFrZQ==',
    asBytes: async () => ({
      bytes: new TextEncoder().encode('fake-png'),
      contentType: 'image/png',
      fileName: 'frame.png',
    }),
  };
}

const IMAGE = 'https://images.example/cat.png';

export const ADAPTER_CASES: readonly AdapterCase[] = [
  {
    id: 'hyprlab',
    start: () => startHyprLabFake({ renderMs: 100 }),
    create: (baseUrl, http) =>
      createHyprLabProvider({ apiKey: HYPRLAB_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v1.6' }),
    envelope: hyprLabErrorBodyFor,
    notFound: hyprLabNotFoundFault(),
  },
  {
    id: 'openai-hk',
    start: () => startOpenAiHkFake({ renderMs: 100 }),
    create: (baseUrl, http) =>
      createOpenAiHkProvider({ apiKey: OPENAI_HK_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v1.6' }),
    envelope: officialErrorBodyFor,
    notFound: officialNotFoundFault(),
  },
  {
    id: 'kling',
    start: () => startKlingFake({ renderMs: 100 }),
    create: (baseUrl, http) =>
      createKlingProvider({
        accessKey: KLING_FAKE_ACCESS_KEY,
        secretKey: KLING_FAKE_SECRET_KEY,
        baseUrl,
        http,
      }),
    request: unified({ model: 'kling-v1.6' }),
    envelope: officialErrorBodyFor,
    notFound: officialNotFoundFault(),
  },
  {
    id: '302ai',
    start: () => startAi302Fake({ renderMs: 100 }),
    create: (baseUrl, http) => createAi302Provider({ apiKey: AI302_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v2.1', startImage: IMAGE }),
    envelope: ai302ErrorBodyFor,
    notFound: ai302NotFoundFault(),
  },
  {
    id: 'apimodels',
    start: () => startApiModelsFake({ renderMs: 100 }),
    create: (baseUrl, http) =>
      createApiModelsProvider({ apiKey: APIMODELS_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v2.6' }),
    envelope: apiModelsErrorBodyFor,
    notFound: apiModelsNotFoundFault(),
  },
  {
    id: 'apiframe',
    start: () => startApiFrameFake({ renderMs: 100 }),
    create: (baseUrl, http) =>
      createApiFrameProvider({ apiKey: APIFRAME_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v2.1' }),
    envelope: apiFrameErrorBodyFor,
    notFound: apiFrameNotFoundFault(),
  },
  {
    id: 'fal',
    start: () => startFalFake({ renderMs: 100 }),
    create: (baseUrl, http) => createFalProvider({ apiKey: FAL_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v2.1', startImage: IMAGE }),
    envelope: falErrorBodyFor,
    notFound: falNotFoundFault(),
  },
  {
    id: 'replicate',
    start: () => startReplicateFake({ renderMs: 100 }),
    create: (baseUrl, http) =>
      createReplicateProvider({ apiKey: REPLICATE_FAKE_API_KEY, baseUrl, http }),
    request: unified({ model: 'kling-v1.6' }),
    envelope: replicateErrorBodyFor,
    notFound: replicateNotFoundFault(),
  },
];

/** One provider's case: its fake and an adapter for it, for tests about a single provider. */
export function adapterCase(id: ProviderId): AdapterCase {
  const found = ADAPTER_CASES.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no adapter case for ${id}`);
  return found;
}
