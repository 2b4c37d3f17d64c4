import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningDevServer, startDevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../../test/support/free-port.js';

/**
 * A headless Temporal dev server for one bench run, on a free port with its SQLite file in a
 * fresh temporary directory (returned too, for the run's other files and cleanup), and its
 * Prometheus metrics on another (`metricsUrl`: the server's own count of billable actions).
 */
export async function startBenchDevServer(
  name: string,
): Promise<{ server: RunningDevServer; directory: string; metricsUrl: string }> {
  const directory = await mkdtemp(join(tmpdir(), `klingflow-bench-${name}-`));
  const metricsPort = await freePort();
  const server = await startDevServer({
    port: await freePort(),
    headless: true,
    dbFilename: join(directory, 'temporal.db'),
    output: 'ignore',
    metricsPort,
  });
  return { server, directory, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}
