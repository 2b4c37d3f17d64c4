import {
  type FakeProviderOptions,
  FakeProviderServer,
  type FakeTask,
  type FakeTaskState,
} from './fake-server.js';

/**
 * Provider callbacks for the fakes of providers that take a callback URL (official Kling and
 * OpenAI-HK via the official format, apimodels.app). When a submit carries one, the fake POSTs
 * the task, in the provider's shape, when the render ends (and, if asked, when it starts
 * processing), the way the provider would. Tests can switch callbacks off, duplicate or delay
 * them, end a render on demand, and read what was sent and how it was answered.
 */

export interface FakeCallbackSettings {
  /** POST callbacks at all. */
  enabled: boolean;
  /** Send every callback twice, back to back (the second after the first was answered). */
  duplicate: boolean;
  /** Wait this long after the state change before sending. */
  delayMs: number;
  /** Also call back when the task starts processing (real providers call on each change). */
  progress: boolean;
  /**
   * Also POST to hosts other than loopback. Off, so a test that submits a sample body with a
   * real-looking callback URL (the seeds' `notify_hook`) never sends traffic off this machine.
   */
  remote: boolean;
}

export interface SentCallback {
  taskId: string;
  url: string;
  /** The task state the callback reported. */
  state: FakeTaskState;
  body: unknown;
  /** The receiver's HTTP status; undefined when the request itself failed. */
  status?: number;
  error?: string;
  /** When the request was started. */
  sentAt: number;
  /** When the answer (or the failure) arrived. */
  at: number;
}

/** How one provider names its callback field and what it POSTs. */
export interface CallbackWireFormat {
  /**
   * The callback URL a submitted body carries, if any; `meta` holds what the fake kept besides
   * the body (fal's `fal_webhook` comes in the query string, not the body).
   */
  urlOf(request: Record<string, unknown>, meta: Record<string, string>): string | undefined;
  /** The callback body for the task in its current state. */
  body(task: FakeTask, fake: FakeProviderServer): unknown;
}

export const DEFAULT_FAKE_CALLBACK_SETTINGS: Readonly<FakeCallbackSettings> = {
  enabled: true,
  duplicate: false,
  delayMs: 0,
  progress: false,
  remote: false,
};

const SEND_TIMEOUT_MS = 10_000;

interface Scheduled {
  url: string;
  timers: Set<NodeJS.Timeout>;
  finalSent: boolean;
}

export class CallbackingFakeServer extends FakeProviderServer {
  /** Read when each callback is due, so a test may change it after the submit. */
  callbacks: FakeCallbackSettings = { ...DEFAULT_FAKE_CALLBACK_SETTINGS };
  readonly sentCallbacks: SentCallback[] = [];
  private readonly wire: CallbackWireFormat;
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiters = new Set<() => void>();
  private stopped = false;

  constructor(options: FakeProviderOptions, wire: CallbackWireFormat) {
    super(options);
    this.wire = wire;
  }

  override createTask(
    request: Record<string, unknown>,
    meta: Record<string, string> = {},
    id?: string,
  ): FakeTask {
    const task = super.createTask(request, meta, id);
    const url = this.wire.urlOf(request, meta);
    if (url) {
      const entry: Scheduled = { url, timers: new Set(), finalSent: false };
      this.scheduled.set(task.id, entry);
      this.after(entry, Math.min(50, task.renderMs / 4), () => this.progressDue(task, entry));
      if (task.outcome.type !== 'stuck') {
        this.after(entry, task.renderMs, () => this.finalDue(task, entry));
      }
    }
    return task;
  }

  /**
   * Ends the render of a task now (it succeeds or fails as it was set to; a stuck task stays
   * stuck) and sends its final callback right away, if it has a callback URL.
   */
  completeTask(taskId: string): void {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`${this.name} fake: no task ${taskId}`);
    task.renderMs = Math.max(0, Date.now() - task.createdAt);
    const entry = this.scheduled.get(taskId);
    if (!entry || task.outcome.type === 'stuck') return;
    for (const timer of entry.timers) clearTimeout(timer);
    entry.timers.clear();
    this.finalDue(task, entry);
  }

  /** Resolves once `count` callbacks have been answered (or failed), with all sent so far. */
  async waitForCallbacks(count: number, timeoutMs = 15_000): Promise<SentCallback[]> {
    if (this.sentCallbacks.length >= count) return this.sentCallbacks;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `${this.name} fake: ${this.sentCallbacks.length} of ${count} callbacks sent within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (this.sentCallbacks.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
    return this.sentCallbacks;
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.scheduled.values()) {
      for (const timer of entry.timers) clearTimeout(timer);
      entry.timers.clear();
    }
    await Promise.allSettled([...this.inFlight]);
    await super.stop();
  }

  /** Runs `run` no sooner than `delayMs` from now by Date.now(), which callers measure with. */
  private after(entry: Scheduled, delayMs: number, run: () => void): void {
    if (this.stopped) return;
    const due = Date.now() + delayMs;
    const timer = setTimeout(() => {
      entry.timers.delete(timer);
      // Timers may fire a millisecond early against Date.now(): wait out the rest.
      const left = due - Date.now();
      if (left > 0) this.after(entry, left, run);
      else run();
    }, delayMs);
    entry.timers.add(timer);
  }

  private progressDue(task: FakeTask, entry: Scheduled): void {
    if (entry.finalSent || !this.callbacks.progress) return;
    // Timers may fire a millisecond early against Date.now(): look again shortly.
    if (this.taskState(task) === 'queued') {
      this.after(entry, 5, () => this.progressDue(task, entry));
      return;
    }
    if (this.taskState(task) === 'running') this.deliver(task, entry);
  }

  private finalDue(task: FakeTask, entry: Scheduled): void {
    if (entry.finalSent) return;
    const state = this.taskState(task);
    // Timers may fire a millisecond early against Date.now(): look again shortly.
    if (state !== 'succeeded' && state !== 'failed') {
      this.after(entry, 5, () => this.finalDue(task, entry));
      return;
    }
    entry.finalSent = true;
    this.deliver(task, entry);
  }

  private deliver(task: FakeTask, entry: Scheduled): void {
    const settings = this.callbacks;
    if (!settings.enabled || (!settings.remote && !isLoopbackUrl(entry.url))) return;
    // The body says what the task was when it changed, even when it is sent late.
    const state = this.taskState(task);
    const body = this.wire.body(task, this);
    const send = async () => {
      const copies = settings.duplicate ? 2 : 1;
      for (let copy = 0; copy < copies && !this.stopped; copy++) {
        await this.post(task.id, entry.url, state, body);
      }
    };
    if (settings.delayMs > 0) this.after(entry, settings.delayMs, () => this.track(send()));
    else this.track(send());
  }

  private track(sending: Promise<void>): void {
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  private async post(
    taskId: string,
    url: string,
    state: FakeTaskState,
    body: unknown,
  ): Promise<void> {
    const sent: SentCallback = { taskId, url, state, body, sentAt: Date.now(), at: 0 };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      sent.status = response.status;
    } catch (error) {
      sent.error = error instanceof Error ? error.message : String(error);
    }
    sent.at = Date.now();
    this.sentCallbacks.push(sent);
    for (const waiter of [...this.waiters]) waiter();
  }
}

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** The callback controls of a fake that supports them (official format, apimodels.app). */
export function callbacksOf(fake: FakeProviderServer): CallbackingFakeServer {
  if (!(fake instanceof CallbackingFakeServer)) {
    throw new Error(`the ${fake.name} fake does not send callbacks`);
  }
  return fake;
}
