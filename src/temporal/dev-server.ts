import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { withTimeout } from '../async/with-timeout.js';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.js';
import { ConfigurationError, ValidationError } from '../errors.js';
import { locateTemporalCli } from './temporal-cli.js';

export interface DevServerOptions {
  port?: number;
  /** Web UI port; defaults to port + 1000. Ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file; workflows survive restarts on the same file. */
  dbFilename?: string;
  /**
   * SQLite pragmas (`--sqlite-pragma name=value`) over DURABLE_SQLITE_PRAGMAS, e.g.
   * `{ synchronous: 'off' }` for a throwaway server whose data need not survive a power cut
   * (the test run's).
   */
  sqlitePragmas?: Readonly<Record<string, string>>;
  namespace?: string;
  ip?: string;
  /** Serves the server's Prometheus metrics (`/metrics`) on this port; none when unset. */
  metricsPort?: number;
  /** Dynamic config values (`--dynamic-config-value key=JSON`), e.g. task-queue partitions. */
  dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
  /** The dev server's own log level (`warn` keeps the terminal for klingflow's output). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'never';
  /** Where the server's own output goes: the terminal, or nowhere (tests keep their output clean). */
  output?: 'inherit' | 'ignore';
  /**
   * Run the server in a process group of its own, so a Ctrl-C in the terminal reaches only this
   * process, which must then stop the server itself (the CLI commands do, worker first: a submit
   * in flight is recorded before the server goes). Off, the server stops with the terminal's
   * Ctrl-C like any child (tests, benchmarks). The server is ended if this process exits first.
   */
  ownProcessGroup?: boolean;
  /**
   * What chose the port, named when another program holds it (`--port` by default; the
   * embedded server says TEMPORAL_ADDRESS).
   */
  portSetting?: string;
  /** What chose the SQLite file, named when its directory cannot be made (`--db-filename`). */
  dbFilenameSetting?: string;
  log?: (message: string) => void;
}

/** The Web UI's port when none is given. */
export function defaultUiPort(port: number): number {
  return port + 1000;
}

/** How long making the database's directory may take (Node's mkdir under /proc never settles). */
const DB_DIRECTORY_TIMEOUT_MS = 10_000;

/**
 * The SQLite file's directory, made if missing; otherwise a ValidationError naming what chose
 * the file (a file standing in the path, no permission, a directory that never answers).
 */
async function prepareDbDirectory(dbFilename: string, setting: string): Promise<void> {
  const directory = dirname(dbFilename);
  try {
    await withTimeout(
      mkdir(directory, { recursive: true }),
      DB_DIRECTORY_TIMEOUT_MS,
      `no answer within ${DB_DIRECTORY_TIMEOUT_MS / 1000} s`,
    );
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ValidationError([
      {
        field: setting,
        message: `its directory ${directory} cannot be created (${why}): a file may stand in the path, or it is not writable`,
      },
    ]);
  }
}

export interface RunningDevServer {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  /** How the CLI was found: cache, PATH, go install, or the SDK download. */
  source: string;
  pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop(): Promise<void>;
  /** Resolves when the server process exits on its own. */
  exited: Promise<void>;
}

/**
 * The server's SQLite file in write-ahead-log mode, still synced on every commit. SQLite's own
 * default (a rollback journal) syncs the journal and the database several times per commit, and
 * the server writes one transaction per workflow task, activity start and completion: at a few
 * jobs a second on a loaded disk, writes queue past the server's internal deadlines, and tasks
 * it records as handed to a worker never reach one, to be retried only after their timeouts
 * (BENCHMARKS.md, steady state). WAL with `synchronous=full` syncs the log once per commit and
 * keeps every committed transaction across a power cut, as the rollback journal did.
 */
export const DURABLE_SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'full',
};

/** The server flags for the options both ways of starting it pass the same way. */
function tuningArgs(options: DevServerOptions): string[] {
  const pragmas = { ...DURABLE_SQLITE_PRAGMAS, ...options.sqlitePragmas };
  return [
    ...Object.entries(pragmas).flatMap(([name, value]) => ['--sqlite-pragma', `${name}=${value}`]),
    ...(options.metricsPort === undefined ? [] : ['--metrics-port', String(options.metricsPort)]),
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
  ];
}

export const DEFAULT_DB_FILENAME = '.klingflow/temporal.db';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/**
 * Starts `temporal server start-dev` with a persistent SQLite file and the project's search
 * attributes. Uses a local CLI when there is one (building it with Go if needed) and falls
 * back to the SDK-managed download on machines with internet.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<RunningDevServer> {
  const log = options.log ?? (() => {});
  const port = options.port ?? 7233;
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const dbFilename = resolve(options.dbFilename ?? DEFAULT_DB_FILENAME);
  await prepareDbDirectory(dbFilename, options.dbFilenameSetting ?? '--db-filename');
  const uiPort = options.headless ? undefined : (options.uiPort ?? defaultUiPort(port));

  const cli = await locateTemporalCli({ build: true, log });
  if (!cli) {
    log('no local Temporal CLI and no Go to build one: using the SDK download (needs internet)');
    return startWithSdkDownload({
      port,
      ip,
      namespace,
      dbFilename,
      uiPort,
      logLevel: options.logLevel ?? 'error',
      tuningArgs: tuningArgs(options),
    });
  }

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--db-filename',
    dbFilename,
    '--log-level',
    options.logLevel ?? 'error',
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...tuningArgs(options),
    ...SEARCH_ATTRIBUTES.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${searchAttributeTypeName(key.type)}`,
    ]),
  ];
  const output = options.output ?? 'inherit';
  const child = spawn(cli.path, args, {
    stdio: ['ignore', output, output],
    detached: options.ownProcessGroup === true,
  });
  endWithThisProcess(child);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const spawnFailure = new Promise<never>((_, reject) => child.once('error', reject));
  const address = `${ip}:${port}`;
  const startFailed = new AbortController();
  try {
    await Promise.race([
      waitUntilReady(address, namespace, { signal: startFailed.signal }),
      spawnFailure,
      exited.then(async () => {
        throw await startUpFailure(ip, [
          [options.portSetting ?? '--port', port],
          ['--ui-port', uiPort],
        ]);
      }),
    ]);
  } catch (error) {
    startFailed.abort();
    await stopChild(child, exited);
    throw error;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://${ip}:${uiPort}`,
    source: cli.source,
    pid: child.pid,
    stop: () => stopChild(child, exited),
    exited,
  };
}

async function startWithSdkDownload(settings: {
  port: number;
  ip: string;
  namespace: string;
  dbFilename: string;
  uiPort: number | undefined;
  logLevel: string;
  tuningArgs: string[];
}): Promise<RunningDevServer> {
  const environment = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: settings.ip,
      port: settings.port,
      namespace: settings.namespace,
      dbFilename: settings.dbFilename,
      ui: settings.uiPort !== undefined,
      ...(settings.uiPort !== undefined ? { uiPort: settings.uiPort } : {}),
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: settings.logLevel },
      extraArgs: settings.tuningArgs,
    },
  });
  let resolveExit: () => void = () => {};
  const exited = new Promise<void>((resolveExitPromise) => {
    resolveExit = resolveExitPromise;
  });
  return {
    address: `${settings.ip}:${settings.port}`,
    namespace: settings.namespace,
    uiUrl: settings.uiPort === undefined ? undefined : `http://${settings.ip}:${settings.uiPort}`,
    source: 'SDK download',
    pid: undefined,
    stop: async () => {
      await environment.teardown();
      resolveExit();
    },
    exited,
  };
}

/** Waits until the frontend answers and the namespace exists (a first start can take a while). */
export async function waitUntilReady(
  address: string,
  namespace: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    // Stopped when the start has failed some other way (the server exited): no point asking on.
    options.signal?.throwIfAborted();
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 250));
    } finally {
      await connection?.close().catch(() => {});
    }
  }
  throw new Error(`Temporal at ${address} did not become ready in ${timeoutMs / 1000} s`, {
    cause: lastError,
  });
}

/** Servers still running, ended if this process exits without stopping them (an error, a forced exit). */
const runningServers = new Set<ChildProcess>();

function endWithThisProcess(child: ChildProcess): void {
  if (runningServers.size === 0) process.on('exit', endRunningServers);
  runningServers.add(child);
  child.once('exit', () => {
    runningServers.delete(child);
    if (runningServers.size === 0) process.off('exit', endRunningServers);
  });
}

function endRunningServers(): void {
  for (const child of runningServers) child.kill('SIGTERM');
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function searchAttributeTypeName(type: string): string {
  const names: Record<string, string> = {
    KEYWORD: 'Keyword',
    TEXT: 'Text',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  const name = names[type];
  if (!name) throw new Error(`unknown search attribute type ${type}`);
  return name;
}

/**
 * Why the server exited while starting: a port another program holds is a setting to change
 * (ConfigurationError, exit 2, naming it); otherwise the server's own log says why.
 */
async function startUpFailure(
  ip: string,
  ports: readonly (readonly [setting: string, port: number | undefined])[],
): Promise<Error> {
  for (const [setting, port] of ports) {
    if (port !== undefined && (await isPortTaken(ip, port))) {
      return new ConfigurationError(
        setting,
        `port ${port} is already in use (another Temporal server or program listens there): stop it, or choose another port`,
      );
    }
  }
  return new Error('temporal server exited during start-up (its log above says why)');
}

function isPortTaken(ip: string, port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer()
      .once('error', (error: NodeJS.ErrnoException) => resolvePort(error.code === 'EADDRINUSE'))
      .once('listening', () => probe.close(() => resolvePort(false)))
      .listen(port, ip);
  });
}
