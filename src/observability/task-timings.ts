/** Forget a task after this long without news (its job was cancelled, or polled elsewhere). */
const FORGET_AFTER_MS = 6 * 60 * 60_000;
const MAX_TASKS = 10_000;

/**
 * When this process last heard "still rendering" about each task, so the answer that says
 * "finished" can tell how long the finish may have gone unnoticed. In memory: a task polled by
 * another worker process simply gives no sample here.
 */
export class TaskTimings {
  private readonly lastHeard = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  stillRendering(provider: string, taskId: string): void {
    this.note(provider, taskId);
  }

  /**
   * Seconds since the last "still rendering"; undefined when none was heard (the first answer
   * said finished: the window is unknown, as the render may have ended any time before).
   */
  finished(provider: string, taskId: string): number | undefined {
    const key = `${provider}/${taskId}`;
    const last = this.lastHeard.get(key);
    this.lastHeard.delete(key);
    return last === undefined ? undefined : (this.now() - last) / 1000;
  }

  private note(provider: string, taskId: string): void {
    const key = `${provider}/${taskId}`;
    const now = this.now();
    // Re-inserted so the map stays ordered by last news: the oldest entries come first.
    this.lastHeard.delete(key);
    this.lastHeard.set(key, now);
    for (const [oldKey, at] of this.lastHeard) {
      if (this.lastHeard.size <= MAX_TASKS && now - at < FORGET_AFTER_MS) break;
      this.lastHeard.delete(oldKey);
    }
  }
}
