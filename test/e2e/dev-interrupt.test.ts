import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATE_VIDEO_WORKFLOW, type GenerationStatus } from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { devServerPidsOn } from '../support/dev-server-pids.js';
import { freePort } from '../support/free-port.js';
import { type ProcessStack, startProcessStack } from '../support/process-stack.js';
import { describeExit, type KlingflowProcess, spawnKlingflow } from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * `klingflow dev` in a terminal, stopped with Ctrl-C while a submit is in flight. The terminal
 * sends SIGINT to its whole foreground group: a dev server in that group stopped at once, the
 * submit's answer could no longer be recorded, and the job came back as an ambiguous submit with
 * a task paid for and never delivered. The server now runs in a group of its own and klingflow
 * stops it after its worker.
 */
describe('klingflow dev stopped with Ctrl-C during a slow submit', () => {
  let stack: ProcessStack;
  let directory: string;
  let port: number;

  beforeEach(async () => {
    stack = await startProcessStack('dev-interrupt', ['hyprlab']);
    directory = await mkdtemp(join(tmpdir(), 'klingflow-dev-interrupt-'));
    port = await freePort();
  });

  afterEach(async () => {
    // A failed test may leave the dev server of a killed `dev` behind: end it by its port.
    for (const pid of devServerPidsOn(port)) process.kill(pid, 'SIGKILL');
    await stack.stop();
    await rm(directory, { recursive: true, force: true });
  });

  const startDev = async (): Promise<KlingflowProcess> => {
    const dev = spawnKlingflow(
      [
        'dev',
        '--headless',
        '--port',
        String(port),
        '--db-filename',
        join(directory, 'temporal.db'),
      ],
      stack.environment,
      { inTerminal: true },
    );
    await dev.waitForOutput(/ready: Temporal at/, 90_000);
    return dev;
  };

  it('records the submit before the server stops; the next dev finishes the job with one task', async () => {
    const hyprlab = stack.providers.fakes.hyprlab;
    hyprlab.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-delay', ms: 5_000 },
    });
    const first = await startDev();
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const client = new Client({ connection });
      const handle = await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: stack.taskQueue,
        workflowId: `${stack.taskQueue}-job`,
        args: [
          {
            request: parseUnifiedRequest({ prompt: 'a Ctrl-C mid-submit', model: 'kling-v1.6' }),
            providers: ['hyprlab'],
          },
        ],
      });
      await waitUntil(
        'HyprLab has created the task (its answer is still on the way)',
        () => hyprlab.submissions === 1,
        { processes: [first] },
      );

      first.pressCtrlC();

      const exit = await first.waitForExit(60_000);
      expect(describeExit(exit), first.output).toBe('exit code 0');
      expect(first.stderr).toContain('SIGINT: stopping');
      expect(devServerPidsOn(port), 'the dev server stopped with klingflow').toEqual([]);

      const second = await startDev();
      const status = (await handle.result()) as GenerationStatus;
      expect(status.status, second.output).toBe('succeeded');
      expect(status.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
        ['hyprlab', 'succeeded'],
      ]);
      expect(hyprlab.submissions).toBe(1);

      second.pressCtrlC();
      expect(describeExit(await second.waitForExit(60_000)), second.output).toBe('exit code 0');
    } finally {
      await connection.close();
    }
  }, 240_000);
});
