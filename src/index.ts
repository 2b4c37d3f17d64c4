// The public API of the klingflow package: `import { KlingflowClient } from 'klingflow'`.

export type { BatchEntry, BatchOptions } from './client/batch-file.js';
export {
  KlingflowClient,
  type KlingflowClientOptions,
  type StartGenerationOptions,
  validateGenerationRequest,
} from './client/klingflow-client.js';
export type { GenerationRequest } from './client/prepare-request.js';
export { type KlingflowSettings, readSettings } from './config/environment.js';
export type {
  AttemptRecord,
  GenerationStatus,
  StoredVideoRecord,
} from './contracts/generation.js';
export {
  ConfigurationError,
  ProviderError,
  type ProviderErrorKind,
  TemporalUnreachableError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export { catalogProviders, checkRequestAgainstProviders } from './providers/catalog.js';
export type {
  ModelOffer,
  Price,
  ProviderAdapter,
  ProviderCapabilities,
} from './providers/provider.js';
export {
  ASPECT_RATIOS,
  MODELS,
  MODES,
  PROVIDER_IDS,
  type ProviderId,
  type UnifiedRequest,
  type UnifiedRequestInput,
} from './request/unified-request.js';
export { resolveTemporalTarget } from './temporal/connection.js';
export {
  type DevServerOptions,
  type RunningDevServer,
  startDevServer,
} from './temporal/dev-server.js';
export { createKlingflowWorker, KlingflowWorker, type KlingflowWorkerOptions } from './worker.js';
