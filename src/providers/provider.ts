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
    context: LookupContext,
  ): Promise<SubmittedTask | undefined>;
  /**
   * Asks the provider to stop a task (fal's `cancel_url`, Replicate's `urls.cancel`), so a
   * cancelled or abandoned job stops rendering and, where the provider allows, billing. Only
   * providers that document a cancel call implement it; the others keep rendering and bill.
   * Throws a classified ProviderError when the provider could not be asked.
   */
  cancel?(handle: TaskHandle, context: CallContext): Promise<CancelResult>;
}

/**
 * What a cancel call achieved: `cancelled` (the provider took the request; it may still bill
 * what already ran), `already-finished` (too late: the task ended first), `not-found` (the
 * provider's documented answer says it does not know the task).
 */
export interface CancelResult {
  outcome: 'cancelled' | 'already-finished' | 'not-found';
  detail?: string;
}

/**
 * How an ambiguous submit (the provider may or may not hold the task) is resolved with
 * `findTask`:
 * - `idempotent`: the submit carried an idempotency key the provider dedupes on (the official
 *   format's `external_task_id`). Found → adopt the task; absent → re-sending with the same key
 *   is safe (a duplicate would be refused, never billed twice).
 * - `adopt-only`: there is no idempotency key, but the provider's task listing can prove a
 *   task exists (Replicate: the per-attempt webhook URL klingflow sent is on the prediction).
 *   Found → adopt it; absent → the job fails `ambiguous-submit` and NEVER re-sends, because a
 *   task the listing does not show yet could still be created and billed.
 * Without `lookup`, an ambiguous submit is never looked up: it fails `ambiguous-submit`.
 */
export type TaskLookup = 'idempotent' | 'adopt-only';

/** What a lookup gets: the callback URL the attempt's submit carried, for `adopt-only` matching. */
export interface LookupContext extends CallContext {
  /** The same per-attempt callback URL `SubmitContext.callbackUrl` had, when webhooks are on. */
  callbackUrl?: string;
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
  /**
   * How `findTask` resolves an ambiguous submit (see TaskLookup); absent means no lookup.
   * `idempotentSubmit: true` is the same as `lookup: 'idempotent'`.
   */
  lookup?: TaskLookup;
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
  /** Multi-shot: the offer takes `shots` (official/fal `multi_prompt`, apimodels `multi_shot`). */
  shots?: boolean;
  /** Motion control: `motionVideo` is required; offers without this take no motion video. */
  motionVideo?: 'required';
  /** Omni-video: the offer takes a `referenceVideo` (`video_list`), at its own price. */
  referenceVideo?: boolean;
  /** The seed lets image-to-video leave the prompt out (it is required for text-to-video). */
  promptOptionalWithImage?: boolean;
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
  | {
      state: 'failed';
      reason: string;
      kind: ProviderErrorKind;
      /** The provider's documented "no such task" answer, not a failure it reported. */
      notFound?: true;
    };

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
