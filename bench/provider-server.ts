/**
 * One simulated provider in a node process of its own, for the benchmark's workloads: a real
 * provider does not share an event loop with the process that starts and awaits the jobs, so
 * its answers are not held up by that process's gRPC calls (bench/lib/provider-process.ts).
 * Sends `{ environment }` over IPC once listening, answers `tasks` with how many tasks it has
 * created, and stops when its parent disconnects.
 *   node --import tsx bench/provider-server.ts PROVIDER RENDER_MS
 */
import type { ProviderId } from '../src/request/unified-request.js';
import { startSimulatedProviders } from '../src/simulated/index.js';
import type { ProviderProcessMessage, ProviderProcessReply } from './lib/provider-process.js';

const provider = process.argv[2] as ProviderId;
const renderMs = Number(process.argv[3]);
const simulated = await startSimulatedProviders({ renderMs, only: [provider] });
const fake = simulated.fakes[provider];
const reply = (message: ProviderProcessReply) => process.send?.(message);

process.on('message', (message: ProviderProcessMessage) => {
  if (message === 'tasks') reply({ tasks: fake.tasks.size });
});
process.once('disconnect', () => {
  void simulated.stop().finally(() => process.exit(0));
});
reply({ environment: simulated.environment });
