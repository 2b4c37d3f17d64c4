import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mp4Bytes } from './sample-video.js';

/**
 * The machinery every fake provider shares: a loopback HTTP server that logs every request,
 * checks auth, keeps tasks that render for a set time, serves a real MP4 with Range support,
 * and injects faults on demand. Each provider's fake adds only its routes and wire format.
 */

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
  /** The task ends `failed` with this message (e.g. a moderation message). */
  | { type: 'fail'; message: string }
  /** The task never finishes. */
  | { type: 'stuck' };

export interface FakeTask {
  id: string;
  createdAt: number;
  renderMs: number;
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
  videoBytes?: number;
}

export class FakeProviderServer {
  readonly name: string;
  readonly requests: LoggedRequest[] = [];
  readonly tasks = new Map<string, FakeTask>();
  renderMs: number;
  /** Outcome given to the next tasks; `queueOutcome` sets it for just the next one. */
  defaultOutcome: TaskOutcome = { type: 'succeed' };
  private readonly queuedOutcomes: TaskOutcome[] = [];
  private readonly faults: FaultRule[] = [];
  private readonly options: FakeProviderOptions;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private video: Buffer;
  private port = 0;

  constructor(options: FakeProviderOptions) {
    this.options = options;
    this.name = options.name;
    this.renderMs = options.renderMs ?? 200;
    this.video = mp4Bytes(options.videoBytes);
    this.server = createServer((request, response) => {
      void this.dispatch(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.sendJson(response, 500, { error: String(error) });
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** `http://127.0.0.1:PORT` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the provider's `*_BASE_URL` variable is set to when it points at this fake. */
  get baseUrl(): string {
    return `${this.origin}${this.options.basePath ?? ''}`;
  }

  injectFault(rule: FaultRule): void {
    this.faults.push({ ...rule });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  queueOutcome(outcome: TaskOutcome): void {
    this.queuedOutcomes.push(outcome);
  }

  setVideoSize(bytes: number): void {
    this.video = mp4Bytes(bytes);
  }

  get videoBuffer(): Buffer {
    return this.video;
  }

  requestsFor(route: string): LoggedRequest[] {
    return this.requests.filter((entry) => entry.route === route);
  }

  /** How many tasks were created: the number a real provider would bill. */
  get submissions(): number {
    return this.tasks.size;
  }

  createTask(
    request: Record<string, unknown>,
    meta: Record<string, string> = {},
    id = newTaskId(),
  ): FakeTask {
    const outcome = this.queuedOutcomes.shift() ?? this.defaultOutcome;
    const task: FakeTask = {
      id,
      createdAt: Date.now(),
      renderMs: this.renderMs,
      outcome,
      request,
      meta,
    };
    this.tasks.set(id, task);
    return task;
  }

  taskState(task: FakeTask): FakeTaskState {
    const elapsed = Date.now() - task.createdAt;
    if (task.outcome.type === 'stuck') return elapsed < 50 ? 'queued' : 'running';
    if (elapsed < Math.min(50, task.renderMs / 4)) return 'queued';
    if (elapsed < task.renderMs) return 'running';
    return task.outcome.type === 'succeed' ? 'succeeded' : 'failed';
  }

  failureMessage(task: FakeTask): string {
    return task.outcome.type === 'fail' ? task.outcome.message : '';
  }

  /** URL of the finished video for a task; served by this fake with Range support. */
  videoUrl(task: FakeTask): string {
    return `${this.origin}/files/${task.id}.mp4`;
  }

  sendJson(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(text);
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    const route = this.allRoutes().find(
      (candidate) => candidate.method === request.method && candidate.pattern.test(url.pathname),
    );
    const body = await readBody(request);
    const json = parseJson(request.headers['content-type'], body);
    this.requests.push({
      route: route?.name ?? 'unknown',
      method: request.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      body,
      ...(json !== undefined ? { json } : {}),
      at: Date.now(),
    });
    if (!route)
      return this.sendJson(response, 404, { error: `no route ${request.method} ${url.pathname}` });

    const fault = this.takeFault(route.name);
    if (fault?.type === 'reset') return void request.socket.destroy();
    if (fault?.type === 'hang') return;
    if (fault?.type === 'status') {
      return this.sendJson(
        response,
        fault.status,
        fault.body ??
          this.options.errorBody?.(fault.status) ?? { error: `injected ${fault.status}` },
        fault.headers,
      );
    }
    if (fault?.type === 'malformed-json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end('{"code": 0, "data": {"task_id": ');
    }
    if (route.authenticated && !this.options.authenticate(request))
      return this.options.rejectAuth(response);

    const params = route.pattern.exec(url.pathname)?.slice(1) ?? [];
    if (
      fault?.type === 'accept-then-cut' ||
      fault?.type === 'accept-then-hang' ||
      fault?.type === 'accept-then-gateway-page'
    ) {
      // The handler runs (the task exists and would be billed), but the client never hears back.
      const swallow = new Proxy(response, {
        get: (target, property) =>
          property === 'writeHead' || property === 'end' || property === 'write'
            ? () => target
            : Reflect.get(target, property),
      });
      await route.handle({ request, response: swallow, url, params, body, json, fake: this });
      if (fault.type === 'accept-then-cut') request.socket.destroy();
      if (fault.type === 'accept-then-gateway-page') {
        response.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
        response.end(fault.body ?? GATEWAY_PAGE);
      }
      return;
    }
    if (fault?.type === 'accept-then-delay') {
      // The origin took the request at once; its answer is slow (a long submit in flight).
      const held = new Proxy(response, {
        get: (target, property) =>
          property === 'writeHead' || property === 'end' || property === 'write'
            ? (...args: unknown[]) => {
                setTimeout(() => {
                  if (!target.destroyed)
                    (Reflect.get(target, property) as (...a: unknown[]) => unknown).apply(
                      target,
                      args,
                    );
                }, fault.ms);
                return target;
              }
            : Reflect.get(target, property),
      });
      return void (await route.handle({
        request,
        response: held,
        url,
        params,
        body,
        json,
        fake: this,
      }));
    }
    await route.handle({ request, response, url, params, body, json, fake: this });
  }

  private takeFault(route: string): Fault | undefined {
    const index = this.faults.findIndex((rule) => rule.route === route || rule.route === '*');
    if (index < 0) return undefined;
    const rule = this.faults[index]!;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) this.faults.splice(index, 1);
    }
    return rule.fault;
  }

  private allRoutes(): FakeRoute[] {
    return [...this.options.routes, this.downloadRoute];
  }

  private readonly downloadRoute: FakeRoute = {
    name: 'download',
    method: 'GET',
    pattern: /^\/files\/([^/]+)\.mp4$/,
    authenticated: false,
    handle: ({ request, response }) => serveWithRange(request, response, this.video),
  };
}

/**
 * A 404 that is not the provider's own answer (a proxy or a wrong path in front of it): the
 * request is handled for real (harmless on a status or lookup), then a plain-text 404 goes back.
 */
export function bareNotFoundFault(): Fault {
  return { type: 'accept-then-gateway-page', status: 404, body: '404 page not found' };
}

/** What a load balancer sends when the origin behind it failed to answer in time. */
const GATEWAY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

/** Serves bytes with `Accept-Ranges` and single-range `Range: bytes=a-` / `a-b` support. */
export function serveWithRange(
  request: IncomingMessage,
  response: ServerResponse,
  bytes: Buffer,
): void {
  const range = request.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
  if (!range) {
    response.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': bytes.length,
      'accept-ranges': 'bytes',
    });
    return void response.end(bytes);
  }
  const start = Number(range[1]);
  const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
  if (start >= bytes.length || start > end) {
    response.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
    return void response.end();
  }
  response.writeHead(206, {
    'content-type': 'video/mp4',
    'content-length': end - start + 1,
    'content-range': `bytes ${start}-${end}/${bytes.length}`,
    'accept-ranges': 'bytes',
  });
  response.end(bytes.subarray(start, end + 1));
}

export function bearerToken(request: IncomingMessage): string | undefined {
  return request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
}

export function newTaskId(): string {
  return randomBytes(9).toString('base64url');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(contentType: string | undefined, body: string): unknown {
  if (!body || !contentType?.includes('json')) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
