import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadinessReport } from './worker-readiness.js';

export interface MetricsSource {
  contentType: string;
  /** The Prometheus text exposition of everything this process measures. */
  collect(): Promise<string>;
}

export interface HealthServerOptions {
  port: number;
  /** Interface to bind; all interfaces when omitted (Prometheus scrapes from another host). */
  host?: string;
  readiness: () => Promise<ReadinessReport>;
  metrics?: MetricsSource;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's operations port: `/healthz` answers 200 while the process runs (a liveness
 * probe: restart when it stops answering), `/readyz` 200 only while the worker is connected to
 * Temporal and polling (503 with the failing checks otherwise), `/metrics` Prometheus text.
 * Nothing here carries a secret: checks are booleans and worker states.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    route(options, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`${error instanceof Error ? error.name : 'error'}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function route(
  options: HealthServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (path === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (path === '/readyz') {
    const report = await options.readiness();
    response
      .writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' })
      .end(`${JSON.stringify(report)}\n`);
    return;
  }
  if (path === '/metrics' && options.metrics) {
    const body = await options.metrics.collect();
    response.writeHead(200, { 'content-type': options.metrics.contentType }).end(body);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}
