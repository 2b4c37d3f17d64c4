import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerBeforeHandling, handleWithFault } from './fake-faults.js';
import { newTaskId, parseJson, readBody, sendJson, serveWithRange } from './fake-http.js';
import type {
  FakeProviderOptions,
  FakeRoute,
  FakeTask,
  FakeTaskState,
  Fault,
  FaultRule,
  LoggedRequest,
  RouteContext,
  TaskOutcome,
} from './fake-types.js';
import { renderTimeFor } from './render-time.js';
import { mp4Bytes } from './sample-video.js';

/**
 * The machinery every fake provider shares: a loopback HTTP server that logs every request,
 * checks auth, keeps tasks that render for a set time, serves a real MP4 with Range support,
 * and injects faults on demand (fake-faults.ts). Each provider's fake adds only its routes and
 * wire format.
 */

export { bareNotFoundFault } from './fake-faults.js';
export { bearerToken, newTaskId, serveWithRange } from './fake-http.js';
export type * from './fake-types.js';

/** A fake's tasks by id; a miss may be recovered (see `recoverUnknownTasks`). */
class FakeTaskTable extends Map<string, FakeTask> {
  constructor(private readonly recover: (id: string) => FakeTask | undefined) {
    super();
  }

  override get(id: string): FakeTask | undefined {
    return super.get(id) ?? this.recover(id);
  }
}

export class FakeProviderServer {
  readonly name: string;
  readonly requests: LoggedRequest[] = [];
  readonly tasks: Map<string, FakeTask> = new FakeTaskTable((id) => this.recoveredTask(id));
  /**
   * Answer a task id this fake never created as a task that finished while it was down. The
   * CLI's simulated providers start empty with each embedded server, and a job resumed with
   * `--id` must find the task it was paying for, as it would at a real provider, instead of
   * failing over to another one. Off in tests, where an unknown id is the provider's not-found.
   */
  recoverUnknownTasks = false;
  renderMs: number;
  /**
   * Spread of render times around `renderMs` (log-normal σ, see render-time.ts); 0 (the
   * default) renders every task in exactly `renderMs`, which most tests rely on.
   */
  renderSpread: number;
  /** Named series of render draws (see `startRenderSeries`); by task id when unset. */
  private renderSeries?: { name: string; next: number };
  /** Outcome given to the next tasks; `queueOutcome` sets it for just the next one. */
  defaultOutcome: TaskOutcome = { type: 'succeed' };
  private readonly queuedOutcomes: TaskOutcome[] = [];
  private nextQueuedMs: number | undefined;
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
    this.renderSpread = options.renderSpread ?? 0;
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

  /**
   * Draws the next tasks' render times as `name`:0, `name`:1, … instead of by task id, so runs
   * that start the same series get the same render times whatever ids the tasks get (the
   * benchmark compares polling policies on identical renders).
   */
  startRenderSeries(name: string): void {
    this.renderSeries = { name, next: 0 };
  }

  /**
   * The next task stays queued this long (then renders for the usual time), so a test that
   * asserts the queued state does not depend on how soon a loaded machine asks.
   */
  holdNextTaskQueued(ms: number): void {
    this.nextQueuedMs = ms;
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

  private recoveredTask(id: string): FakeTask | undefined {
    if (!this.recoverUnknownTasks || id === '') return undefined;
    // Not stored: the table holds only tasks this fake created (counts and scans stay true).
    return {
      id,
      createdAt: Date.now() - this.renderMs - 1,
      queuedMs: 0,
      renderMs: this.renderMs,
      outcome: { type: 'succeed' },
      request: {},
      // Its endpoint is not known: any of the provider's query paths finds it.
      meta: { recovered: 'true' },
    };
  }

  createTask(
    request: Record<string, unknown>,
    meta: Record<string, string> = {},
    id = newTaskId(),
  ): FakeTask {
    const outcome = this.queuedOutcomes.shift() ?? this.defaultOutcome;
    const renderMs = renderTimeFor({
      medianMs: this.renderMs,
      spread: this.renderSpread,
      taskId: this.renderSeries ? `${this.renderSeries.name}:${this.renderSeries.next++}` : id,
    });
    const held = this.nextQueuedMs;
    this.nextQueuedMs = undefined;
    const task: FakeTask = {
      id,
      createdAt: Date.now(),
      queuedMs: held ?? Math.min(50, renderMs / 4),
      renderMs: held === undefined ? renderMs : held + renderMs,
      outcome,
      request,
      meta,
    };
    this.tasks.set(id, task);
    return task;
  }

  taskState(task: FakeTask): FakeTaskState {
    const elapsed = Date.now() - task.createdAt;
    if (task.outcome.type === 'stuck') return elapsed < task.queuedMs ? 'queued' : 'running';
    if (elapsed < task.queuedMs) return 'queued';
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
    sendJson(response, status, body, headers);
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
    if (answerBeforeHandling(fault, request, response, this.options.errorBody)) return;
    if (route.authenticated && !this.options.authenticate(request))
      return this.options.rejectAuth(response);

    const params = route.pattern.exec(url.pathname)?.slice(1) ?? [];
    const context: RouteContext = { request, response, url, params, body, json, fake: this };
    if (await handleWithFault(fault, route, context)) return;
    await route.handle(context);
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
