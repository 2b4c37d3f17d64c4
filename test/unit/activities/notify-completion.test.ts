import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createNotifyCompletion } from '../../../src/activities/notify-completion.js';
import { NotifyFailureTypes } from '../../../src/contracts/notification.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import { startNotifyReceiver } from '../../support/notify-receiver.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const dispatcher = createGuardedAgent({ allowPrivateNetwork: true });
const BODY = { workflowId: 'job-1', status: 'succeeded' };

/** One HTTP attempt of the notify activity, as Temporal's `attempt` would number it. */
function attempt(
  url: string,
  options: {
    attempt?: number;
    allowPrivateNetwork?: boolean;
    secret?: string | null;
    body?: unknown;
  } = {},
) {
  const notify = createNotifyCompletion({
    dispatcher,
    allowPrivateNetwork: options.allowPrivateNetwork ?? true,
    environment:
      options.secret === null ? {} : { KLINGFLOW_NOTIFY_SECRET: options.secret ?? SECRET },
  });
  const env = new MockActivityEnvironment(
    { attempt: options.attempt ?? 1 },
    { logger: new DefaultLogger('ERROR') },
  );
  const body = options.body ?? BODY;
  return env.run(notify, { url, webhookId: 'msg_run-1', body }) as ReturnType<typeof notify>;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('notifyCompletion (one delivery attempt)', () => {
  let receiver: Awaited<ReturnType<typeof startNotifyReceiver>> | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });
  afterAll(async () => {
    await dispatcher.close();
  });

  it('POSTs the body signed with the secret, and reports the attempt that got a 2xx', async () => {
    receiver = await startNotifyReceiver(() => 204);
    await expect(attempt(receiver.url, { attempt: 3 })).resolves.toEqual({ attempts: 3 });
    const [request] = receiver.received;
    expect(request?.headers['webhook-id']).toBe('msg_run-1');
    const verified = new Webhook(SECRET).verify(
      request!.body,
      request!.headers as Record<string, string>,
    );
    expect(verified).toEqual(BODY);
  });

  it("reports a job that failed in route planning in the contract's phase, submitting", async () => {
    receiver = await startNotifyReceiver(() => 204);
    const failed = { workflowId: 'job-2', status: 'failed', phase: 'planning' };
    await attempt(receiver.url, { body: failed });
    expect(JSON.parse(receiver.received[0]!.body)).toEqual({ ...failed, phase: 'submitting' });
  });

  it('retries 408, 429 and 5xx', async () => {
    for (const status of [408, 429, 500, 503]) {
      receiver = await startNotifyReceiver(() => status);
      const failure = await failureOf(attempt(receiver.url, { attempt: 2 }));
      expect(failure.type).toBe(NotifyFailureTypes.unavailable);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.details).toEqual([{ attempt: 2 }]);
      expect(failure.message).toContain(`HTTP ${status}`);
      await receiver.close();
    }
    receiver = undefined;
  });

  it.each([400, 401, 404, 410, 301])('does not retry HTTP %s', async (status) => {
    receiver = await startNotifyReceiver(() => status);
    const failure = await failureOf(attempt(receiver.url));
    expect(failure.type).toBe(NotifyFailureTypes.refused);
    expect(failure.nonRetryable).toBe(true);
    // The URL's query (a receiver's token) is never in the message.
    expect(failure.message).not.toContain('receiver-secret');
  });

  it('retries a receiver that cannot be reached', async () => {
    receiver = await startNotifyReceiver(() => 'reset');
    const failure = await failureOf(attempt(receiver.url));
    expect(failure.type).toBe(NotifyFailureTypes.unavailable);
  });

  it('refuses, without retrying, a private address and a worker without the secret', async () => {
    receiver = await startNotifyReceiver();
    const blocked = await failureOf(attempt(receiver.url, { allowPrivateNetwork: false }));
    expect(blocked.type).toBe(NotifyFailureTypes.refused);
    expect(blocked.message).toMatch(/private or loopback/);
    const unsigned = await failureOf(attempt(receiver.url, { secret: null }));
    expect(unsigned.type).toBe(NotifyFailureTypes.refused);
    expect(unsigned.message).toMatch(/KLINGFLOW_NOTIFY_SECRET: is not set/);
    expect(receiver.received).toHaveLength(0);
  });
});
