import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeProviderServer } from './fake-server.js';

/** The shapes a fake provider is described with: its routes, faults, tasks and log. */

export interface LoggedRequest {
  route: string;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Raw body as text (multipart bodies included, for contract tests). */
  body: string;
  /** Parsed JSON body, when the body was JSON. */
  json?: unknown;
  at: number;
}

export type Fault =
  /**
   * Reply with this status (and body and headers), e.g. 500, 401, 402, 429 with Retry-After.
   * Without a body, the provider's own error envelope for that status (`errorBody`).
   */
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Never answer; the socket stays open until the client gives up. */
  | { type: 'hang' }
  /** Answer 200 with a body that is not JSON. */
  | { type: 'malformed-json' }
  /** Handle the request for real (a submit creates its task), then cut the connection unanswered. */
  | { type: 'accept-then-cut' }
  /** Handle the request for real, then never answer (the client dies or times out waiting). */
  | { type: 'accept-then-hang' }
  /** Cut the connection before handling anything. */
  | { type: 'reset' }
  /**
   * Handle the request for real (a submit creates its task), then answer as a gateway in front
   * of the origin would: this status with a raw body that is not the provider's envelope
   * (by default an HTML 502 page).
   */
  | { type: 'accept-then-gateway-page'; status?: number; body?: string }
  /** Handle the request for real, then answer normally only after this many milliseconds. */
  | { type: 'accept-then-delay'; ms: number };

export interface FaultRule {
  /** Route name (`submit`, `status`, `download`, …) or `*`. */
  route: string;
  fault: Fault;
  /** How many requests it hits; unlimited when omitted. */
  times?: number;
}

export type TaskOutcome =
  | { type: 'succeed' }
  /**
   * The task ends `failed` with this message (e.g. a moderation message), and the provider's
   * machine-readable error type where its wire format has one (fal's `detail[].type`).
   */
  | { type: 'fail'; message: string; errorType?: string }
  /** The task never finishes. */
  | { type: 'stuck' };

export interface FakeTask {
  id: string;
  createdAt: number;
  renderMs: number;
  /** How long the task reports itself queued before it starts rendering. */
  queuedMs: number;
  outcome: TaskOutcome;
  /** The submitted body, for tests and for wire-format echo (model names). */
  request: Record<string, unknown>;
  /** Extra per-provider fields (external ids, endpoints). */
  meta: Record<string, string>;
}

export type FakeTaskState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: string[];
  body: string;
  json: unknown;
  fake: FakeProviderServer;
}

export interface FakeRoute {
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  pattern: RegExp;
  /** Routes that need the provider's credentials; downloads do not. */
  authenticated: boolean;
  handle(context: RouteContext): void | Promise<void>;
}

export interface FakeProviderOptions {
  name: string;
  routes: FakeRoute[];
  /** True when the request carries valid credentials for this provider. */
  authenticate(request: IncomingMessage): boolean;
  /** Writes this provider's auth-failure response. */
  rejectAuth(response: ServerResponse): void;
  /** The provider's own error envelope for an injected status without a body. */
  errorBody?: (status: number) => unknown;
  /** Path the provider's base URL ends with (e.g. `/v1` for HyprLab), so `baseUrl` mirrors production. */
  basePath?: string;
  renderMs?: number;
  /** Log-normal spread of render times around `renderMs` (render-time.ts); 0 by default. */
  renderSpread?: number;
  videoBytes?: number;
}
