import { spawn } from 'node:child_process';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError, TemporalCliUnavailableError } from '../errors.js';
import { OwnerLockTimeoutError, withOwnerLock } from './owner-lock.js';

/**
 * Finds (or builds) the `temporal` CLI that runs the dev server. Order: TEMPORAL_CLI_PATH, a
 * `temporal` on PATH, the project's cache, a `go install` of the pinned tag into that cache.
 * When none works the caller falls back to the SDK's own download (machines with internet).
 */

/** Newest tag whose go.mod has no `replace` line, so `go install …@version` works. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install';

export interface TemporalCli {
  path: string;
  source: TemporalCliSource;
}

export interface LocateOptions {
  /** Build with Go into the cache when nothing else is found. */
  build?: boolean;
  environment?: NodeJS.ProcessEnv;
  /** Progress messages (a build takes minutes on 2 cores). */
  log?: (message: string) => void;
}

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `.tools/` in the package root (ignored by git); KLINGFLOW_TOOLS_DIR moves it. */
export function toolsDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  return environment[VARIABLES.toolsDirectory] ?? join(PACKAGE_ROOT, '.tools');
}

export function cachedCliPath(environment: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDirectory(environment), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export async function locateTemporalCli(
  options: LocateOptions = {},
): Promise<TemporalCli | undefined> {
  const environment = options.environment ?? process.env;
  const fromEnvironment = environment[VARIABLES.temporalCliPath];
  if (fromEnvironment) {
    if (await isExecutable(fromEnvironment))
      return { path: fromEnvironment, source: 'TEMPORAL_CLI_PATH' };
    // A setting this command cannot work with (exit 2), not an unreachable Temporal.
    throw new ConfigurationError(
      VARIABLES.temporalCliPath,
      `${fromEnvironment} is not an executable file`,
    );
  }
  const onPath = await findOnPath('temporal', environment.PATH ?? '');
  if (onPath) return { path: onPath, source: 'PATH' };
  const cached = cachedCliPath(environment);
  if (await isExecutable(cached)) return { path: cached, source: 'cache' };
  if (!options.build) return undefined;
  const go = await findOnPath('go', environment.PATH ?? '');
  if (!go) return undefined;
  await buildWithGo(go, cached, environment, options.log ?? (() => {}));
  return { path: cached, source: 'go install' };
}

async function buildWithGo(
  go: string,
  target: string,
  environment: NodeJS.ProcessEnv,
  log: (message: string) => void,
): Promise<void> {
  const directory = dirname(target);
  await mkdir(directory, { recursive: true });
  // Two processes (a test run and a CLI) may race to build: the loser waits for the winner, and
  // takes the lock over if the winner crashed.
  await withOwnerLock(
    join(directory, '.building'),
    async () => {
      log(
        `building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (first time only; takes a few minutes)`,
      );
      const code = await run(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        ...environment,
        GOBIN: directory,
        GOFLAGS: environment.GOFLAGS ?? '-trimpath',
      });
      if (code !== 0 || !(await isExecutable(target))) {
        throw new TemporalCliUnavailableError(
          `go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${code}); set TEMPORAL_CLI_PATH to a temporal binary`,
        );
      }
      log(`Temporal CLI ready at ${target}`);
    },
    { timeoutMs: 15 * 60_000, log, skip: () => isExecutable(target) },
  ).catch((error: unknown) => {
    if (error instanceof OwnerLockTimeoutError) {
      throw new TemporalCliUnavailableError('timed out waiting for the Temporal CLI build', {
        cause: error,
      });
    }
    throw error;
  });
}

function run(
  command: string,
  args: string[],
  environment: NodeJS.ProcessEnv,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: environment,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const directory of searchPath.split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
