import type { Command } from 'commander';
import { resolveTemporalTarget } from '../../temporal/connection.js';
import { startWorkerRuntime } from '../embedded-runtime.js';
import { note } from '../output.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a klingflow worker against TEMPORAL_ADDRESS, in the foreground')
    .action(async () => {
      const target = resolveTemporalTarget();
      const runtime = await startWorkerRuntime(target, { log: note });
      note(
        `worker connected to ${target.address} (namespace ${target.namespace}); Ctrl-C stops it`,
      );
      const stop = (signal: string) => {
        note(`${signal}: stopping the worker (in-flight downloads checkpoint first)`);
        void runtime.stop();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await runtime.running;
    });
}
