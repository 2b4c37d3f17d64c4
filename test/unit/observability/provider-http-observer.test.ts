import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KlingflowMetrics } from '../../../src/observability/klingflow-metrics.js';
import { providerHttpObserver } from '../../../src/observability/provider-http-observer.js';
import { providerRequest } from '../../../src/providers/kit/provider-http.js';

describe('provider HTTP calls are observed', () => {
  let server: Server;
  let base: string;
  const dispatcher = new Agent();

  beforeEach(async () => {
    server = createServer((request, response) => {
      if (request.url?.startsWith('/cut')) return void request.socket.destroy();
      const status = Number(new URL(request.url ?? '/', base).pathname.slice(1)) || 200;
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('counts answers by status class and calls with no answer as error', async () => {
    const metrics = new KlingflowMetrics();
    const http = {
      dispatcher,
      allowPrivateNetwork: true,
      observer: providerHttpObserver(metrics),
    };
    for (const path of ['/200', '/201', '/402', '/503'])
      await providerRequest('hyprlab', http, { method: 'GET', url: `${base}${path}?key=x` });
    await expect(
      providerRequest('hyprlab', http, { method: 'POST', url: `${base}/cut`, json: {} }),
    ).rejects.toMatchObject({ kind: 'transient' });

    const counts = (await metrics.registry
      .getSingleMetric('klingflow_provider_http_responses_total')
      ?.get())!.values.map((value) => [value.labels.class, value.value]);
    expect(Object.fromEntries(counts)).toEqual({ '2xx': 2, '4xx': 1, '5xx': 1, error: 1 });
  });
});
