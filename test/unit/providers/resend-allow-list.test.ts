import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import { bareNotFoundFault, type FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { ADAPTER_CASES, imageResolver } from './adapter-cases.js';
import { http, rejection, settled } from './provider-test-support.js';

/**
 * The resend allow-list (issue 9, rule 1) for every adapter against its fake: `ambiguous` is
 * false only when nothing was written, or when the provider's own envelope answered a 4xx, 500
 * or 503; everything else is ambiguous. Then, after a task was accepted, a status call returns
 * `failed` only on the provider's documented not-found answer; a bare 404 throws (transient).
 */

const impatient = {
  dispatcher: createGuardedAgent({
    allowPrivateNetwork: true,
    timeouts: { headersTimeoutMs: 200 },
  }),
  allowPrivateNetwork: true,
};

describe.each(ADAPTER_CASES)('$id', (adapterCase) => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;
  const submit = (target: ProviderAdapter = adapter) =>
    target.submit(adapterCase.request, { images: imageResolver() });

  beforeAll(async () => {
    fake = await adapterCase.start();
    adapter = adapterCase.create(fake.baseUrl, http);
  });
  afterEach(() => fake.clearFaults());
  afterAll(async () => {
    await fake.stop();
  });

  describe('not ambiguous: nothing was written', () => {
    it('connection refused', async () => {
      const refused = adapterCase.create('http://127.0.0.1:1', http);
      const error = await rejection(submit(refused));
      expect(error.kind).toBe('transient');
      expect(error.ambiguous).toBe(false);
    });

    it('DNS failure', async () => {
      const unresolvable = adapterCase.create('http://klingflow-test.invalid', http);
      expect((await rejection(submit(unresolvable))).ambiguous).toBe(false);
    });

    it('TLS handshake failure', async () => {
      const notTls = adapterCase.create(fake.baseUrl.replace(/^http:/, 'https:'), http);
      const before = fake.submissions;
      expect((await rejection(submit(notTls))).ambiguous).toBe(false);
      expect(fake.submissions).toBe(before);
    });
  });

  describe('not ambiguous: the provider answered in its own envelope', () => {
    it.each([400, 429, 500, 503])('HTTP %s', async (status) => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status, body: adapterCase.envelope(status) },
        times: 1,
      });
      const error = await rejection(submit());
      expect(error.httpStatus).toBe(status);
      expect(error.ambiguous).toBe(false);
    });
  });

  describe('ambiguous: the provider may hold a paid task', () => {
    it.each([502, 504])('HTTP %s even in its envelope', async (status) => {
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status, body: adapterCase.envelope(status) },
        times: 1,
      });
      const error = await rejection(submit());
      expect(error.httpStatus).toBe(status);
      expect(error.ambiguous).toBe(true);
    });

    it.each([502, 500, 503, 520])(
      'an HTML gateway page with %s after the task was created',
      async (status) => {
        const before = fake.submissions;
        fake.injectFault({
          route: 'submit',
          fault: { type: 'accept-then-gateway-page', status },
          times: 1,
        });
        const error = await rejection(submit());
        expect(error.httpStatus).toBe(status);
        expect(error.ambiguous).toBe(true);
        expect(fake.submissions).toBe(before + 1);
        // The page by its title, not its markup (it reaches status lines and notifications).
        expect(error.message).toContain(`HTTP ${status}: an HTML page "502 Bad Gateway"`);
        expect(error.message).not.toContain('<');
      },
    );

    it('an unreadable 2xx', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'malformed-json' }, times: 1 });
      expect((await rejection(submit())).ambiguous).toBe(true);
    });

    it('a slow answer after accept that times out', async () => {
      const slow = adapterCase.create(fake.baseUrl, impatient);
      const before = fake.submissions;
      fake.injectFault({
        route: 'submit',
        fault: { type: 'accept-then-delay', ms: 1000 },
        times: 1,
      });
      const error = await rejection(submit(slow));
      expect(error.ambiguous).toBe(true);
      expect(fake.submissions).toBe(before + 1);
    });

    it('a connection cut after accept', async () => {
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-cut' }, times: 1 });
      expect((await rejection(submit())).ambiguous).toBe(true);
    });
  });

  describe('status after accept', () => {
    it('returns failed on the documented not-found answer', async () => {
      const { handle } = await submit();
      fake.injectFault({ route: 'status', fault: adapterCase.notFound, times: 1 });
      expect(await adapter.status(handle, {})).toMatchObject({
        state: 'failed',
        kind: 'provider-unavailable',
      });
    });

    it('throws transient on a bare 404, and the task is still there to check', async () => {
      const { handle } = await submit();
      fake.injectFault({ route: 'status', fault: bareNotFoundFault(), times: 1 });
      const error = await rejection(adapter.status(handle, {}));
      expect(error.kind).toBe('transient');
      expect(error.httpStatus).toBe(404);
      expect((await settled(adapter, handle)).state).toBe('succeeded');
    });

    it('throws provider-unavailable on a 401 and transient on a 5xx in its envelope', async () => {
      const { handle } = await submit();
      fake.injectFault({
        route: 'status',
        fault: { type: 'status', status: 401, body: adapterCase.envelope(401) },
        times: 1,
      });
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('provider-unavailable');
      fake.injectFault({ route: 'status', fault: { type: 'status', status: 503 }, times: 1 });
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('transient');
    });
  });
});
