/**
 * Installs the Temporal CLI into the project's cache (idempotent; instant when cached).
 * Used by .ci/run and by anyone who wants the dev server ready before the first run.
 */
import { locateTemporalCli } from '../src/temporal/temporal-cli.js';

const cli = await locateTemporalCli({ build: true, log: (message) => console.error(message) });
if (!cli) {
  console.error(
    'No Temporal CLI: none on TEMPORAL_CLI_PATH or PATH, none cached, and Go is not installed to build one.\n' +
      'Install Go (https://go.dev/dl) or the Temporal CLI, or set TEMPORAL_CLI_PATH. With internet access,\n' +
      'klingflow also falls back to the SDK download at run time.',
  );
  process.exit(1);
}
console.log(`${cli.path} (${cli.source})`);
