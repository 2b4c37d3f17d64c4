import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes, type PollDelivery, type PollOutput } from '../contracts/generation.js';
import { ProviderError } from '../errors.js';
import type { TaskHandle } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { RenderTimeStore } from '../storage/render-time-store.js';
import { renderSampleMs } from '../workflows/generation/poll-policy.js';
import { deliverInPoll, keepPollAlive } from './deliver-in-poll.js';
import type { DownloadVideoDependencies } from './download-video.js';
import { toActivityFailure } from './provider-failure.js';

export interface CheckTaskInput {
  handle: TaskHandle;
  /**
   * Throw a retryable, benign "not ready" failure while the task runs, so the activity's own
   * retry policy is the poll loop: one activity in history however many polls it takes.
   */
  untilDone: boolean;
  /**
   * When the task was accepted and under which key its render time is learned (poll-policy.ts):
   * a poll that finds it done records how long it took. Absent in jobs started before it.
   */
  renderTiming?: { key: string; acceptedAt: number; pollIntervalMs: number };
  /**
   * Wait this long before the first status call (`job-v4`): the first attempt calls nothing and
   * asks to be retried after the rest of it, so the wait costs no workflow timer or task. It
   * counts from `renderTiming.acceptedAt` when known (the delay is learned from there too),
   * else from this activity's scheduling.
   */
  firstPollDelayMs?: number;
  /** `job-v6`: deliver the video of a task found done in the same attempt (deliver-in-poll.ts). */
  delivery?: PollDelivery;
}

export function createCheckTask(deps: {
  providers: ProviderRegistry;
  routing?: { renderTimes?: RenderTimeStore };
  /** What a poll needs to deliver a finished task's video itself (`job-v6`). */
  download?: DownloadVideoDependencies;
}) {
  return async function checkTask(input: CheckTaskInput): Promise<PollOutput> {
    // Polling stays pinned to the provider that accepted the task.
    const adapter = deps.providers.require(input.handle.provider);
    const context = Context.current();
    const waitAttempts = input.untilDone && input.firstPollDelayMs ? 1 : 0;
    if (waitAttempts > 0 && context.info.attempt === 1) throw firstWait(input, context);
    let status: Awaited<ReturnType<typeof adapter.status>>;
    const stopKeepAlive = input.delivery ? keepPollAlive(context) : undefined;
    try {
      status = await adapter.status(input.handle, { signal: context.cancellationSignal });
    } catch (error) {
      throw toActivityFailure(error, { submit: false });
    } finally {
      stopKeepAlive?.();
    }
    if (status.state === 'failed' && status.notFound) {
      // The provider took this task (it gave its id), so "no such task" does not say it failed:
      // a read replica behind the write, another region, a key of another account. Failing over
      // would pay a second provider while the first may render and bill. It is checked again, as
      // after any status error, until it answers or the job's limits end it (the deadline's last
      // look; the stuck-failover opt-in).
      throw toActivityFailure(
        new ProviderError('transient', input.handle.provider, `${status.reason}; checking again`),
        { submit: false },
      );
    }
    const polls = context.info.attempt - waitAttempts;
    if (input.untilDone && (status.state === 'queued' || status.state === 'running')) {
      throw ApplicationFailure.create({
        type: FailureTypes.notReady,
        message: `task ${input.handle.taskId} is ${status.state}`,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    if (status.state === 'succeeded') {
      // An attempt with heartbeat details resumes a delivery an earlier attempt began (job-v6):
      // that one found the task done, so this render time is not learned twice.
      const resumingDelivery =
        input.delivery !== undefined && context.info.heartbeatDetails != null;
      // Saved while the video downloads: the job's result does not wait for the hint's disk sync.
      const learning = resumingDelivery
        ? undefined
        : learnRenderTime(deps.routing?.renderTimes, input, {
            polls,
            // When this poll was due, not when a busy worker got to it: the planned first poll
            // is measured the same way (from acceptance), so pickup lag is not learned twice.
            dueAt: context.info.currentAttemptScheduledTimestampMs || Date.now(),
          });
      const videos = status.videos.map((video) => ({ url: video.url }));
      try {
        const stored = await deliverInPoll(deps.download, input.delivery, videos, context);
        return { status: { state: 'succeeded', videos }, polls, ...(stored ? { stored } : {}) };
      } finally {
        await learning;
      }
    }
    return { status, polls };
  };
}

/**
 * The first attempt's answer when the first status call is due later: retried after what is
 * left of the wait. The time since the provider accepted the task (the workflow task that
 * scheduled this poll, a slow pick-up of this attempt) has used some of it.
 */
function firstWait(input: CheckTaskInput, context: Context): ApplicationFailure {
  const waitingSince =
    input.renderTiming?.acceptedAt ??
    (context.info.currentAttemptScheduledTimestampMs || Date.now());
  const waitedMs = Math.max(0, Date.now() - waitingSince);
  const delayMs = Math.max(1, (input.firstPollDelayMs ?? 0) - waitedMs);
  return ApplicationFailure.create({
    type: FailureTypes.notReady,
    message: `task ${input.handle.taskId}: first status call in ${delayMs} ms`,
    category: ApplicationFailureCategory.BENIGN,
    nextRetryDelay: delayMs,
  });
}

/**
 * Records a polled task's render time for later first polls. Only polling by retry teaches (a
 * callback's confirmation says nothing about when polls should start); a store that cannot be
 * written costs the next jobs a less tuned first poll, never this job its result.
 */
async function learnRenderTime(
  store: RenderTimeStore | undefined,
  input: CheckTaskInput,
  poll: { polls: number; dueAt: number },
): Promise<void> {
  const timing = input.renderTiming;
  if (!store || !timing || !input.untilDone) return;
  const sample = renderSampleMs({
    elapsedMs: poll.dueAt - timing.acceptedAt,
    polls: poll.polls,
    pollIntervalMs: timing.pollIntervalMs,
  });
  await store.record(timing.key, sample).catch(() => undefined);
}
