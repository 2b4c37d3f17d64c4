import { createServer } from 'node:net';
import type { MetricsSource } from './health-server.js';
import { klingflowMetrics } from './klingflow-metrics.js';

/**
 * `/metrics`: klingflow's business metrics and the Temporal SDK's own worker metrics in one
 * scrape. The SDK (Rust core) serves its metrics only through its own Prometheus exporter, so
 * it listens on a loopback port nobody else sees and its text is appended here.
 */
export function combinedMetrics(sdkMetricsAddress: string | undefined): MetricsSource {
  return {
    contentType: klingflowMetrics.registry.contentType,
    async collect() {
      const [own, sdk] = await Promise.all([
        klingflowMetrics.registry.metrics(),
        sdkMetricsAddress ? fetchSdkMetrics(sdkMetricsAddress) : '',
      ]);
      return `${own.trimEnd()}\n${sdk}`;
    },
  };
}

async function fetchSdkMetrics(address: string): Promise<string> {
  try {
    const response = await fetch(`http://${address}/metrics`, {
      signal: AbortSignal.timeout(2_000),
    });
    return response.ok ? await response.text() : '';
  } catch {
    // The SDK exporter is not up (yet): serve klingflow's own metrics alone.
    return '';
  }
}

/** A free port on 127.0.0.1 for the SDK exporter. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
