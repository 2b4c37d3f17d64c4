import { it as base, describe, expect } from 'vitest';
import {
  FailureTypes,
  type FindTaskOutput,
  type GenerationStatus,
  type SubmitInput,
} from '../../src/contracts/generation.js';
import { providerCallbackSignal, statusQuery } from '../../src/contracts/messages.js';
import { videoStorageKey } from '../../src/storage/storage-key.js';
import { waitUntil } from '../support/wait-until.js';
import {
  accept,
  done,
  finalStatus,
  providerFailure,
  routeEntry,
  type StubStack,
  startStubStack,
} from './stub-activities.js';

const running = { state: 'running' } as const;
const attemptsOf = (status: GenerationStatus) =>
  status.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorKind]);
const ledgerOf = (status: GenerationStatus) =>
  status.spend.tasks.map((task) => [task.provider, task.taskId, task.outcome]);

/**
 * Each test gets a stack of its own (task queue, worker, scripts), so the tests run
 * concurrently: most of their time is spent waiting on workflow timers.
 */
const it = base.extend<{ stack: StubStack }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from it
  stack: async ({}, use) => {
    const stack = await startStubStack();
    await use(stack);
    await stack.stop();
  },
});

const submitsTo = (stack: StubStack, provider: string) =>
  stack.calls.submits.filter((input) => input.provider === provider).length;

describe.concurrent('generateVideo branches, with stubbed activities', () => {
  describe('an ambiguous submit', () => {
    const ambiguousOnce = (input: SubmitInput, call: number) => {
      if (call === 1) throw providerFailure(FailureTypes.ambiguousSubmit);
      return accept(input.provider, call);
    };

    it('adopts the task an idempotent provider finds by its key', async ({ stack }) => {
      stack.route = [routeEntry('kling'), routeEntry('hyprlab')];
      stack.scripts.kling = {
        submit: ambiguousOnce,
        find: () => ({ outcome: 'found', task: accept('kling', 7) }),
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('succeeded');
      expect(submitsTo(stack, 'kling')).toBe(1);
      expect(submitsTo(stack, 'hyprlab')).toBe(0);
      expect(ledgerOf(status)).toEqual([['kling', 'kling-task-7', 'delivered']]);
    });

    it('re-sends with the same key only when the lookup proves the task absent', async ({
      stack,
    }) => {
      stack.route = [routeEntry('kling'), routeEntry('hyprlab')];
      stack.scripts.kling = { submit: ambiguousOnce, find: () => ({ outcome: 'absent' }) };
      const handle = await stack.start();
      const status = await finalStatus(handle);
      expect(status.status).toBe('succeeded');
      expect(stack.calls.submits).toHaveLength(2);
      const [first, second] = stack.calls.submits;
      expect(second).toEqual(first);
      // The key is made of the run, so a new run of the same id gets a fresh one.
      expect(first?.runId).toBe((await handle.describe()).runId);
      expect(ledgerOf(status)).toEqual([['kling', 'kling-task-2', 'delivered']]);
    });

    it('never re-sends when the lookup cannot tell, and fails naming the provider', async ({
      stack,
    }) => {
      stack.route = [routeEntry('kling'), routeEntry('hyprlab')];
      stack.scripts.kling = {
        submit: ambiguousOnce,
        find: () => {
          throw providerFailure(FailureTypes.providerUnavailable);
        },
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('failed');
      expect(attemptsOf(status)).toEqual([['kling', 'failed', 'ambiguous-submit']]);
      expect(status.error).toMatch(/kling may hold a paid task/);
      expect(submitsTo(stack, 'kling')).toBe(1);
      expect(submitsTo(stack, 'hyprlab')).toBe(0);
      expect(ledgerOf(status)).toEqual([['kling', undefined, 'ambiguous']]);
    });

    it('adopts the task an adopt-only provider lists, without re-sending', async ({ stack }) => {
      stack.route = [routeEntry('hyprlab', { lookup: 'adopt-only' }), routeEntry('kling')];
      stack.scripts.hyprlab = {
        submit: ambiguousOnce,
        find: () => ({ outcome: 'found', task: accept('hyprlab', 9) }),
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('succeeded');
      expect(stack.calls.submits).toHaveLength(1);
      expect(stack.calls.finds).toHaveLength(1);
      expect(status.providerTaskId).toBe('hyprlab-task-9');
      expect(ledgerOf(status)).toEqual([['hyprlab', 'hyprlab-task-9', 'delivered']]);
    });

    it.for<[string, () => FindTaskOutput]>([
      ['absent', () => ({ outcome: 'absent' }) as const],
      [
        'unknown',
        () => {
          throw providerFailure(FailureTypes.providerUnavailable);
        },
      ],
    ])(
      'ends the job when an adopt-only lookup says %s: no resend, no failover',
      async ([, find], { stack }) => {
        stack.route = [routeEntry('hyprlab', { lookup: 'adopt-only' }), routeEntry('kling')];
        stack.scripts.hyprlab = { submit: ambiguousOnce, find };
        const status = await finalStatus(await stack.start());
        expect(status.status).toBe('failed');
        expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'ambiguous-submit']]);
        expect(status.error).toMatch(/hyprlab may hold a paid task.*not re-sent/);
        expect(stack.calls.submits).toHaveLength(1);
        expect(stack.calls.finds).toHaveLength(1);
        expect(ledgerOf(status)).toEqual([['hyprlab', undefined, 'ambiguous']]);
      },
    );

    it('ends the job at a provider without idempotency keys: no resend, no failover', async ({
      stack,
    }) => {
      stack.scripts.hyprlab = { submit: ambiguousOnce };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('failed');
      expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'ambiguous-submit']]);
      expect(status.error).toMatch(/hyprlab may hold a paid task.*not re-sent/);
      expect(stack.calls.submits).toHaveLength(1);
      expect(stack.calls.finds).toHaveLength(0);
      expect(status.spend.usd).toBe(0.2);
    });
  });

  describe('the resend allow-list', () => {
    it('re-sends a transient error the provider answered, on the same provider', async ({
      stack,
    }) => {
      stack.scripts.hyprlab = {
        submit: (input, call) => {
          if (call === 1) throw providerFailure(FailureTypes.transient, true, 10);
          return accept(input.provider, call);
        },
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('succeeded');
      expect(submitsTo(stack, 'hyprlab')).toBe(2);
      expect(submitsTo(stack, 'kling')).toBe(0);
    });

    it('treats a failure of no known type as ambiguous: never re-sent, never failed over', async ({
      stack,
    }) => {
      stack.scripts.hyprlab = {
        submit: () => {
          throw new TypeError('something unexpected after the request went out');
        },
      };
      const status = await finalStatus(await stack.start());
      expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'ambiguous-submit']]);
      expect(stack.calls.submits).toHaveLength(1);
    });
  });

  describe('an accepted task pins the job', () => {
    it('keeps checking through status-call errors and success without a video', async ({
      stack,
    }) => {
      stack.scripts.hyprlab = {
        status: (_handle, call) => {
          if (call <= 2) throw providerFailure(FailureTypes.providerUnavailable); // 401, bare 404
          if (call === 3) return { state: 'succeeded', videos: [] };
          return done;
        },
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('succeeded');
      expect(attemptsOf(status)).toEqual([['hyprlab', 'succeeded', undefined]]);
      expect(submitsTo(stack, 'kling')).toBe(0);
      expect(stack.calls.statuses.length).toBeGreaterThanOrEqual(4);
    });

    it('fails at the job deadline naming the provider and task, without failover', async ({
      stack,
    }) => {
      stack.scripts.hyprlab = {
        status: () => {
          throw providerFailure(FailureTypes.providerUnavailable);
        },
      };
      const status = await finalStatus(
        await stack.start({ attemptDeadlineMs: 300, deadlineMs: 2_500 }),
      );
      expect(status.status).toBe('failed');
      expect(status.error).toMatch(
        /hyprlab task hyprlab-task-1 did not finish before the job deadline/,
      );
      expect(submitsTo(stack, 'kling')).toBe(0);
      expect(ledgerOf(status)).toEqual([['hyprlab', 'hyprlab-task-1', 'abandoned']]);
    });

    it('fails over a stuck task when opted in, keeping the abandoned one in the ledger', async ({
      stack,
    }) => {
      stack.scripts.hyprlab = { status: () => running };
      const status = await finalStatus(await stack.start({ failoverStuckAfterMs: 1_500 }));
      expect(status.status).toBe('succeeded');
      expect(ledgerOf(status)).toEqual([
        ['hyprlab', 'hyprlab-task-1', 'abandoned'],
        ['kling', 'kling-task-1', 'delivered'],
      ]);
      expect(status.spend.usd).toBe(0.4);
    });

    it('fails over once the provider itself reports the task failed', async ({ stack }) => {
      stack.scripts.hyprlab = {
        status: () => ({
          state: 'failed',
          reason: 'render farm down',
          kind: 'provider-unavailable',
        }),
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('succeeded');
      expect(ledgerOf(status)).toEqual([
        ['hyprlab', 'hyprlab-task-1', 'failed-at-provider'],
        ['kling', 'kling-task-1', 'delivered'],
      ]);
    });

    it('fails the job on a refusal that is not an outage', async ({ stack }) => {
      stack.scripts.hyprlab = {
        status: () => ({ state: 'failed', reason: '内容审核未通过', kind: 'content-rejected' }),
      };
      const status = await finalStatus(await stack.start());
      expect(status.status).toBe('failed');
      expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'content-rejected']]);
      expect(submitsTo(stack, 'kling')).toBe(0);
    });
  });

  describe('cancelling at the provider', () => {
    const cancelsOf = (status: GenerationStatus) =>
      status.spend.tasks.map((task) => [task.taskId, task.outcome, task.cancelAttempt]);

    it('cancels a stuck task it abandons, and records the answer', async ({ stack }) => {
      stack.route = [routeEntry('hyprlab', { cancellable: true }), routeEntry('kling')];
      stack.scripts.hyprlab = { status: () => running };
      const status = await finalStatus(await stack.start({ failoverStuckAfterMs: 1_500 }));
      expect(status.status).toBe('succeeded');
      expect(stack.calls.cancels).toEqual([{ provider: 'hyprlab', taskId: 'hyprlab-task-1' }]);
      expect(cancelsOf(status)).toEqual([
        ['hyprlab-task-1', 'abandoned', 'cancelled'],
        ['kling-task-1', 'delivered', undefined],
      ]);
    });

    it('records a cancel the provider could not take as failed, and carries on', async ({
      stack,
    }) => {
      stack.route = [routeEntry('hyprlab', { cancellable: true }), routeEntry('kling')];
      stack.scripts.hyprlab = {
        status: () => running,
        cancel: () => {
          throw providerFailure(FailureTypes.providerUnavailable);
        },
      };
      const status = await finalStatus(await stack.start({ failoverStuckAfterMs: 1_500 }));
      expect(status.status).toBe('succeeded');
      expect(cancelsOf(status)[0]).toEqual(['hyprlab-task-1', 'abandoned', 'failed']);
    });

    const cancelWhileWaiting = async (stack: StubStack) => {
      stack.scripts.hyprlab = { ...stack.scripts.hyprlab, status: () => running };
      const handle = await stack.start();
      await waitUntil(
        'the job waits for its task',
        async () => (await handle.query(statusQuery)).phase === 'waiting',
      );
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      return handle.query(statusQuery);
    };

    it('cancels the task of a cancelled job at a provider that offers it', async ({ stack }) => {
      stack.route = [routeEntry('hyprlab', { cancellable: true })];
      stack.scripts.hyprlab = { cancel: () => ({ outcome: 'already-finished' }) };
      const status = await cancelWhileWaiting(stack);
      expect(status.status).toBe('cancelled');
      expect(stack.calls.cancels).toEqual([{ provider: 'hyprlab', taskId: 'hyprlab-task-1' }]);
      expect(cancelsOf(status)).toEqual([['hyprlab-task-1', 'abandoned', 'already-finished']]);
    });

    it('asks nothing of a provider without a cancel call, and records nothing', async ({
      stack,
    }) => {
      stack.route = [routeEntry('hyprlab')];
      const status = await cancelWhileWaiting(stack);
      expect(status.status).toBe('cancelled');
      expect(stack.calls.cancels).toEqual([]);
      expect(cancelsOf(status)).toEqual([['hyprlab-task-1', 'abandoned', undefined]]);
    });

    it('ends the attempt it interrupted: no attempt of a cancelled job still says running', async ({
      stack,
    }) => {
      stack.route = [routeEntry('hyprlab')];
      const status = await cancelWhileWaiting(stack);
      expect(status.attempts).toEqual([
        expect.objectContaining({ provider: 'hyprlab', outcome: 'failed', error: 'cancelled' }),
      ]);
    });
  });

  describe('max cost is a hard cap on the ledger', () => {
    const failedAtProvider = {
      status: () => ({ state: 'failed', reason: 'gone', kind: 'provider-unavailable' }) as const,
    };

    it('skips a failover whose price would take the ledger over max cost', async ({ stack }) => {
      stack.route = [
        routeEntry('hyprlab'),
        routeEntry('kling', { price: { amount: 0.3, unit: 'USD', usd: 0.3 } }),
      ];
      stack.scripts.hyprlab = failedAtProvider;
      const status = await finalStatus(await stack.start({ maxCost: 0.4 }));
      expect(status.status).toBe('failed');
      expect(attemptsOf(status)).toEqual([
        ['hyprlab', 'failed', 'provider-unavailable'],
        ['kling', 'skipped', 'over-budget'],
      ]);
      expect(submitsTo(stack, 'kling')).toBe(0);
      expect(status.spend.usd).toBe(0.2);
    });

    it('allows it when the total fits, and skips a price with no USD value', async ({ stack }) => {
      stack.route = [
        routeEntry('hyprlab'),
        routeEntry('kling', { price: { amount: 35, unit: 'credits' } }),
        routeEntry('kling', { price: { amount: 0.3, unit: 'USD' } }),
      ];
      stack.scripts.hyprlab = failedAtProvider;
      const status = await finalStatus(await stack.start({ maxCost: 0.5 }));
      expect(status.status).toBe('succeeded');
      expect(attemptsOf(status)).toEqual([
        ['hyprlab', 'failed', 'provider-unavailable'],
        ['kling', 'skipped', 'over-budget'],
        ['kling', 'succeeded', undefined],
      ]);
      expect(status.spend).toMatchObject({ usd: 0.5, byUnit: { USD: 0.5 } });
    });
  });

  it('makes at most one status call per poll interval however many callbacks arrive', async ({
    stack,
  }) => {
    const finishAt = Date.now() + 5_000;
    stack.scripts.hyprlab = { status: () => (Date.now() < finishAt ? running : done) };
    const handle = await stack.start({ pollIntervalMs: 1_500 });
    await waitUntil(
      'the job waits for its task',
      async () => (await handle.query(statusQuery)).phase === 'waiting',
    );
    let sent = 0;
    while (Date.now() < finishAt - 300) {
      await handle.signal(providerCallbackSignal, { attempt: 1 });
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const status = await finalStatus(handle);
    expect(status.status).toBe('succeeded');
    const confirmations = stack.calls.confirmations;
    expect(confirmations.length).toBeGreaterThanOrEqual(2);
    expect(stack.calls.statuses.length).toBeLessThan(sent / 4);
    // Confirming calls are a poll interval apart, however fast the callbacks came.
    const gaps = confirmations.slice(1).map((at, index) => at - (confirmations[index] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_400);
  });

  it('keeps KlingPhase and KlingStatus current for visibility queries', async ({ stack }) => {
    stack.scripts.hyprlab = { status: () => running };
    const handle = await stack.start({ deadlineMs: 4_000 });
    const listed = async (query: string) => {
      for await (const found of stack.client.workflow.list({
        query: `WorkflowId = "${handle.workflowId}" AND ${query}`,
      })) {
        if (found.workflowId === handle.workflowId) return true;
      }
      return false;
    };
    await waitUntil('listed as waiting', () =>
      listed('KlingPhase = "waiting" AND KlingStatus = "running"'),
    );
    await finalStatus(handle);
    await waitUntil('listed as failed', () => listed('KlingStatus = "failed"'));
  });

  it('lets the poll that finds the task done deliver its one video (job-v6)', async ({ stack }) => {
    const status = await finalStatus(await stack.start());
    expect(status.status).toBe('succeeded');
    const key = videoStorageKey(status.workflowId);
    expect(stack.calls.downloads).toEqual([{ url: 'https://x/v.mp4', key, byPoll: true }]);
    expect(status.videos).toEqual([expect.objectContaining({ path: `/videos/${key}.mp4` })]);
    expect(ledgerOf(status)).toEqual([['hyprlab', 'hyprlab-task-1', 'delivered']]);
  });

  it("times the first poll from the provider's answer, not from the workflow task after it", async ({
    stack,
  }) => {
    // The render started when the provider answered the submit: an earlier time than the
    // workflow task that then schedules the poll, however busy the worker and server are.
    const answeredAt = Date.now() - 60_000;
    stack.scripts.hyprlab = {
      submit: (_, call) => ({ ...accept('hyprlab', call), acceptedAt: answeredAt }),
    };
    expect((await finalStatus(await stack.start())).status).toBe('succeeded');
    expect(stack.calls.pollsAcceptedAt).toEqual([answeredAt]);
  });

  it("counts from the workflow's clock when the answer has no time (a lookup, an older worker)", async ({
    stack,
  }) => {
    const started = Date.now();
    const status = await finalStatus(await stack.start());
    expect(status.status).toBe('succeeded');
    const [acceptedAt] = stack.calls.pollsAcceptedAt;
    expect(acceptedAt).toBeGreaterThanOrEqual(started - 1_000);
    expect(acceptedAt).toBeLessThanOrEqual(Date.now());
  });

  it('downloads each video of a task with several through the download activity', async ({
    stack,
  }) => {
    const videos = [{ url: 'https://x/a.mp4' }, { url: 'https://x/b.mp4' }];
    stack.scripts.hyprlab = { status: () => ({ state: 'succeeded', videos }) };
    const status = await finalStatus(await stack.start());
    expect(status.status).toBe('succeeded');
    expect(stack.calls.downloads.map(({ url, byPoll }) => [url, byPoll ?? false])).toEqual([
      ['https://x/a.mp4', false],
      ['https://x/b.mp4', false],
    ]);
    expect(status.videos).toHaveLength(2);
  });

  it('removes partial downloads of a job that fails, under a collision-free key', async ({
    stack,
  }) => {
    stack.downloadFails = true;
    const status = await finalStatus(await stack.start({}, `a:b ${Date.now()}`));
    expect(status.status).toBe('failed');
    const key = stack.calls.downloads[0]?.key;
    expect(key).toBe(videoStorageKey(status.workflowId));
    expect(stack.calls.discarded).toEqual([[key]]);
  });
});
