import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { test as base, describe, expect } from 'vitest';
import { freePort } from '../support/free-port.js';

const CLI = fileURLToPath(new URL('../../bin/klingflow.js', import.meta.url));

/*
 * The command's own bounds, plus slack: the dev server gets 60 s to answer and 10 s to stop.
 * Six of them start at once here beside other test files; on a freshly booted CI machine one
 * ran past the old 60 s test timeout, which said nothing of where. Now a test that runs out
 * of these bounds fails with the command's output instead of a bare timeout.
 */
const READY_WITHIN_MS = 75_000;
const STOPPED_WITHIN_MS = 20_000;

interface StartedCommand {
  child: ChildProcess;
  output: () => string;
}

/** Starts `klingflow server` (or `dev`) and resolves once it says it is ready. */
async function startServerCommand(
  port: number,
  dbFilename: string,
  command: 'server' | 'dev' = 'server',
): Promise<StartedCommand> {
  const child = spawn(
    process.execPath,
    [CLI, command, '--headless', '--port', String(port), '--db-filename', dbFilename],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KLINGFLOW_STORAGE_DIR: join(dbFilename, '..', 'videos') },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready in ${READY_WITHIN_MS / 1000} s:\n${output}`)),
      READY_WITHIN_MS,
    );
    const check = () => {
      if (output.includes('Temporal dev server at') || output.includes('ready: Temporal at')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output };
}

function exited({ child, output }: StartedCommand): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`still running ${STOPPED_WITHIN_MS / 1000} s later:\n${output()}`)),
      STOPPED_WITHIN_MS,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Every process whose command line mentions this port, other than the pgrep itself. */
function processesOnPort(port: number): string[] {
  try {
    return execFileSync('pgrep', ['-fa', `port ${port}`], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('temporal') || line.includes('klingflow'));
  } catch {
    return [];
  }
}

/**
 * Each test gets a directory of its own: the tests share nothing, so they run side by side (a
 * server start mostly waits on SQLite's synced commits, not on the CPU).
 */
const it = base.extend<{ directory: string }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from it
  directory: async ({}, use) => {
    const directory = await mkdtemp(join(tmpdir(), 'klingflow-server-'));
    await use(directory);
    await rm(directory, { recursive: true, force: true });
  },
});

// One test starts the server twice.
const TWO_STARTS_MS = 2 * (READY_WITHIN_MS + STOPPED_WITHIN_MS) + 10_000;

describe.concurrent('klingflow server and dev (the embedded Temporal dev server)', {
  timeout: TWO_STARTS_MS,
}, () => {
  it.for([
    ['server', 'SIGTERM'],
    ['server', 'SIGINT'],
    ['dev', 'SIGINT'],
    ['dev', 'SIGTERM'],
  ] as const)(
    '`klingflow %s` stops on %s with no orphan process',
    async ([command, signal], { directory }) => {
      const port = await freePort();
      const server = await startServerCommand(port, join(directory, 'temporal.db'), command);
      expect(processesOnPort(port).length).toBeGreaterThan(0);
      server.child.kill(signal);
      expect(await exited(server)).toBe(0);
      expect(processesOnPort(port)).toEqual([]);
    },
  );

  it('exits at once, saying so, when something else holds the port', async ({ directory }) => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as AddressInfo).port;
    try {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'server',
          '--headless',
          '--port',
          String(port),
          '--db-filename',
          join(directory, 'temporal.db'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stderr?.on('data', (chunk) => {
        output += chunk;
      });
      // Before, it went on asking the port for the readiness timeout (60 s) after the server died.
      // A port to change, exit 2 naming the flag (before: exit 1, the code of a failed job).
      expect(await exited({ child, output: () => output })).toBe(2);
      expect(output).toContain(`--port: port ${port} is already in use`);
      expect(processesOnPort(port)).toEqual([]);
    } finally {
      holder.close();
    }
  });

  it('dev checks the worker settings before starting a server: a bad one exits 2 at once', async ({
    directory,
  }) => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, 'dev', '--headless', '--port', String(port), '--db-filename', join(directory, 't.db')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KLINGFLOW_LOG_LEVEL: 'verbose' },
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    expect(await exited({ child, output: () => output })).toBe(2);
    expect(output).toContain('KLINGFLOW_LOG_LEVEL: "verbose" is not a log level');
    // Before, the server started (its banner) and was stopped again once the worker refused.
    expect(output).not.toContain('Server:');
    expect(existsSync(join(directory, 't.db'))).toBe(false);
  });

  it('keeps its SQLite file in write-ahead-log mode, synced on every commit', async ({
    directory,
  }) => {
    const port = await freePort();
    const dbFilename = join(directory, 'temporal.db');
    const server = await startServerCommand(port, dbFilename);
    // The log exists only in WAL mode (a rollback journal is deleted after each commit).
    expect(existsSync(`${dbFilename}-wal`)).toBe(true);
    const commandLine = processesOnPort(port).find((line) => line.includes('start-dev'));
    expect(commandLine).toContain('--sqlite-pragma synchronous=full');
    server.child.kill('SIGTERM');
    expect(await exited(server)).toBe(0);
  });

  it('keeps workflows in its SQLite file: a second start on the same file sees them', async ({
    directory,
  }) => {
    const port = await freePort();
    const dbFilename = join(directory, 'temporal.db');
    const first = await startServerCommand(port, dbFilename);
    let connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const workflowId = `remembered-${Date.now()}`;
    await new Client({ connection }).workflow.start('generateVideo', {
      taskQueue: 'nobody-polls-this-queue',
      workflowId,
      args: [{}],
    });
    await connection.close();
    first.child.kill('SIGTERM');
    await exited(first);

    const second = await startServerCommand(port, dbFilename);
    connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe('nobody-polls-this-queue');
    await connection.close();
    second.child.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
  });
});
