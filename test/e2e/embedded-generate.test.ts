import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationStatus } from '../../src/contracts/generation.js';
import { isTemporalReachable, resolveTemporalTarget } from '../../src/temporal/connection.js';
import { childEnvironment } from '../support/child-environment.js';
import { devServerPidsOn } from '../support/dev-server-pids.js';
import { describeExit, endProcesses, spawnKlingflow } from '../support/processes.js';

/**
 * The README's quick start as a user runs it: no Temporal server and no provider key, so
 * `generate --wait` starts an embedded dev server (on the default localhost:7233, its SQLite file
 * in ./.klingflow) and the simulated providers for the one job. Then the same with Ctrl-C while
 * the job waits: before, the SDK stopped the worker on the signal and the command waited for a
 * result that could no longer come, for ever.
 */
/** Where an embedded server listens when nothing is configured. */
const DEFAULT_PORT = 7233;

describe('generate --wait with no Temporal server: the embedded one', () => {
  let directory: string;
  let environment: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // The embedded server takes the default port; a server already there would be used instead.
    if (await isTemporalReachable(resolveTemporalTarget({}))) {
      throw new Error(
        'a Temporal server answers at localhost:7233: these tests start their own there (stop it first)',
      );
    }
    directory = await mkdtemp(join(tmpdir(), 'klingflow-embedded-'));
    // No provider key and no TEMPORAL_* variable: exactly a fresh machine.
    environment = childEnvironment({ KLINGFLOW_STORAGE_DIR: join(directory, 'videos') });
  });

  afterAll(async () => {
    await endProcesses();
    for (const pid of devServerPidsOn(DEFAULT_PORT)) process.kill(pid, 'SIGKILL');
    await rm(directory, { recursive: true, force: true });
  });

  const generate = (...args: string[]) =>
    spawnKlingflow(['generate', '--wait', ...args], environment, {
      cwd: directory,
      inTerminal: true,
    });

  it('runs the job on an embedded server and the simulated providers, then stops them', async () => {
    const run = generate('--prompt', 'a red fox running through fresh snow', '--json');

    const exit = await run.waitForExit(180_000);

    expect(describeExit(exit), run.output).toBe('exit code 0');
    expect(run.stderr).toContain('starting an embedded dev server and worker for this job');
    expect(run.stderr).toContain('using the built-in simulated providers');
    const status = JSON.parse(run.stdout) as GenerationStatus;
    expect(status).toMatchObject({ status: 'succeeded', phase: 'done' });
    const [video] = status.videos;
    const bytes = await readFile(video!.path);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(video!.sha256);
    expect(devServerPidsOn(DEFAULT_PORT)).toEqual([]);
  }, 200_000);

  it('Ctrl-C while waiting stops everything with status 130; the same command resumes the job', async () => {
    const id = `embedded-${Date.now()}`;
    const waiting = generate('--prompt', 'a heron in the reeds', '--id', id);
    await waiting.waitForOutput(/· waiting ·/, 120_000);

    waiting.pressCtrlC();

    const exit = await waiting.waitForExit(60_000);
    expect(describeExit(exit), waiting.output).toBe('exit code 130');
    expect(waiting.stderr).toContain(
      'SIGINT: stopping the embedded worker and dev server (a submit in flight is recorded first)',
    );
    expect(waiting.stderr).toContain(
      `job ${id} is kept in .klingflow/temporal.db: run the same command with --id ${id} to resume it`,
    );
    expect(devServerPidsOn(DEFAULT_PORT)).toEqual([]);

    const resumed = generate('--prompt', 'a heron in the reeds', '--id', id, '--json');

    expect(describeExit(await resumed.waitForExit(180_000)), resumed.output).toBe('exit code 0');
    expect(resumed.stderr).toContain(`${id} already exists for this request: following it`);
    const status = JSON.parse(resumed.stdout) as GenerationStatus;
    expect(status).toMatchObject({ workflowId: id, status: 'succeeded' });
    // The task the first run paid for is the one delivered: the simulated providers, restarted
    // empty, still know it (as a real provider would), so nothing was paid twice.
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
  }, 400_000);
});
