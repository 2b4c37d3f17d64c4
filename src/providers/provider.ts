import type { ProviderErrorKind, ValidationIssue } from '../errors.js';
import type {
  AspectRatio,
  CameraControl,
  Mode,
  Model,
  ProviderId,
  UnifiedRequest,
} from '../request/unified-request.js';

/**
 * What a provider sells, as plain data and pure functions: no keys, no network. Prices, the
 * `providers` table and request checks read this without building an adapter.
 */
export interface ProviderOffering {
  readonly id: ProviderId;
  readonly displayName: string;
  readonly capabilities: ProviderCapabilities;
  /** Which offer serves this request, and what would be dropped; issues when it cannot be served. */
  check(request: UnifiedRequest): OfferCheck;
  /** Price from the provider's published table; known before anything is submitted. */
  price(request: UnifiedRequest): Price;
}

/**
 * How a provider is called. Submit and status are separate calls; the handle a submit returns
 * is small, opaque and JSON-serialisable so the workflow can keep it in history and poll the
 * same provider after a worker crash.
 */
export interface ProviderTransport {
  submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask>;
  /**
   * Returns `failed` only when the provider reports the task failed or its documented
   * not-found answer says the task does not exist; anything it cannot read throws.
   */
  status(handle: TaskHandle, context: CallContext): Promise<TaskStatus>;
  /**
   * Looks a task up by the idempotency key given at submit. Only providers that accept one
   * (the official format's `external_task_id`) implement it; it is how an ambiguous submit
   * is resolved without paying twice. Found: the task; absent (`undefined`): only when the
   * provider's documented not-found answer says so; anything else throws a transient error.
   */
  findTask?(
    externalTaskId: string,
    request: UnifiedRequest,
    context: CallContext,
  ): Promise<SubmittedTask | undefined>;
}

/** The one interface the worker calls: a provider's offering and its transport together. */
export interface ProviderAdapter extends ProviderOffering, ProviderTransport {}

export type ImageForm = 'url' | 'data-uri' | 'base64' | 'multipart';
export type PriceUnit = 'USD' | 'PTC' | 'credits' | 'base-units';

export interface ProviderCapabilities {
  offers: readonly ModelOffer[];
  /** The provider POSTs to a callback URL we give it when a task changes state. */
  callbacks: boolean;
  /** Name of the callback field on the wire, e.g. `callback_url` or `notify_hook`. */
  callbackField?: string;
  /** Submits can carry an idempotency key (and `findTask` looks it up). */
  idempotentSubmit: boolean;
  imageForms: readonly ImageForm[];
  priceUnit: PriceUnit;
  /** What one price unit costs in USD, where the seed says so; used to order routes by cost. */
  usdPerUnit?: number;
  /** Response shapes no seed documents; parsed tolerantly and listed as unverified in the README. */
  unverified?: readonly string[];
}

/** One model (in some modes) as one provider sells it. */
export interface ModelOffer {
  model: Model;
  modes: readonly Mode[];
  durations: readonly number[];
  /** The provider's own model name on the wire, e.g. `kling-v1.6-standard` or `kling-v2-6`. */
  providerModel: string | Partial<Record<Mode, string>>;
  /** Where it is submitted, relative to the base URL (e.g. `/v1/videos/text2video`). */
  endpoint: string;
  startImage: 'required' | 'optional' | 'unsupported';
  endImage: 'supported' | 'pro-only' | 'unsupported';
  /** The only durations a start+end frame request takes, when narrower than `durations`. */
  endImageDurations?: readonly number[];
  aspectRatio: 'supported' | 'ignored-with-start-image' | 'unsupported';
  cfgScale: boolean;
  /**
   * Camera control, and the only (duration, mode) combinations it works with, if restricted;
   * `types` narrows the movement types (e.g. `simple` only), when given.
   */
  cameraControl:
    | 'unsupported'
    | 'supported'
    | {
        durations: readonly number[];
        modes: readonly Mode[];
        types?: readonly CameraControl['type'][];
      };
  sound: 'unsupported' | 'supported' | 'pro-only';
  maxPromptLength: number;
  maxNegativePromptLength: number;
  /**
   * Modes accepted for this model that change nothing: the same provider model at the same
   * price. A request in one of them is served with a warning saying the mode does not apply.
   */
  modesWithoutEffect?: readonly Mode[];
  /** Typical render time, used to sleep through most of it before the first poll. */
  typicalRenderSeconds: number;
  aspectRatios?: readonly AspectRatio[];
}

export interface OfferCheck {
  offer?: ModelOffer;
  issues: ValidationIssue[];
  /** Fields the provider ignores for this request and that are dropped before submit. */
  warnings: string[];
}

export interface Price {
  amount: number;
  unit: PriceUnit;
  /** Estimated USD, when the unit converts; undefined when the provider gives no rate. */
  usd?: number;
}

/** JSON-serialisable handle; lives in workflow history, so it never carries secrets. */
export interface TaskHandle {
  provider: ProviderId;
  taskId: string;
  [field: string]: string | number | boolean | null;
}

export interface SubmittedTask {
  taskId: string;
  handle: TaskHandle;
}

export type TaskStatus =
  | { state: 'queued'; detail?: string }
  | { state: 'running'; detail?: string; progress?: number }
  | { state: 'succeeded'; videos: { url: string; durationSeconds?: number }[] }
  | { state: 'failed'; reason: string; kind: ProviderErrorKind };

export interface CallContext {
  signal?: AbortSignal;
}

export interface SubmitContext extends CallContext {
  images: ImageResolver;
  /** Per-task callback URL (with its token), when webhooks are on and the provider takes one. */
  callbackUrl?: string;
  /** Idempotency key derived from workflow id and attempt; sent where the provider takes one. */
  externalTaskId?: string;
}

/** Turns a request's image reference (URL or stored blob) into the form a provider wants. */
export interface ImageResolver {
  /** A URL the provider can fetch (http(s) references as they are). */
  asUrl(reference: string): Promise<string>;
  /** Raw base64, no `data:` prefix. */
  asBase64(reference: string): Promise<string>;
  asDataUri(reference: string): Promise<string>;
  asBytes(reference: string): Promise<{ bytes: Uint8Array; contentType: string; fileName: string }>;
}
