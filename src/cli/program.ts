import { Command } from 'commander';

type RegisterCommands = (program: Command) => void;

/**
 * Each command's module, loaded when that command runs: a CLI call then loads what its command
 * needs instead of the Temporal worker, client, dev server and S3 SDK together (about two CPU
 * seconds a call). `--help` and unknown commands load them all, in this order; `--version` none.
 */
const COMMAND_MODULES: Record<string, () => Promise<RegisterCommands>> = {
  server: async () => (await import('./commands/server.js')).registerServerCommands,
  worker: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  generate: async () => (await import('./commands/generate.js')).registerGenerateCommand,
  status: async () => (await import('./commands/status.js')).registerStatusCommands,
  list: async () => (await import('./commands/list.js')).registerListCommand,
  batch: async () => (await import('./commands/batch.js')).registerBatchCommand,
  providers: async () => (await import('./commands/providers.js')).registerProvidersCommand,
  schema: async () => (await import('./commands/schema.js')).registerSchemaCommand,
};
/** Commands registered by another command's module. */
const REGISTERED_WITH: Record<string, string> = { dev: 'server', cancel: 'status' };

export async function createProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('klingflow')
    .description(
      'Durable Kling AI video generation on Temporal: failover across providers, no double payment.',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  const args = argv.slice(2);
  const named = args.find((argument) => !argument.startsWith('-'));
  const module = named === undefined ? undefined : (REGISTERED_WITH[named] ?? named);
  const versionOnly = args.length > 0 && args.every((arg) => arg === '--version' || arg === '-V');
  const loaders = versionOnly
    ? []
    : module !== undefined && Object.hasOwn(COMMAND_MODULES, module)
      ? [COMMAND_MODULES[module]!]
      : Object.values(COMMAND_MODULES);
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
  return program;
}
