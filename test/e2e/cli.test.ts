import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationStatus } from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { KLING_PROVIDER } from '../../src/contracts/search-attributes.js';
import { PROVIDER_IDS, type ProviderId } from '../../src/request/unified-request.js';
import type { FakeProviderServer } from '../../src/simulated/fake-server.js';
import type { SimulatedProviderSet } from '../../src/simulated/index.js';
import { freePort } from '../support/free-port.js';
import { type ProcessStack, startProcessStack } from '../support/process-stack.js';
import {
  describeExit,
  type KlingflowProcess,
  runKlingflow,
  spawnKlingflow,
  startWorkerProcess,
} from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * `node bin/klingflow.js …` driven exactly as the contract in design.md says, against the run's
 * dev server, with a real `klingflow worker` process and every provider's fake behind it.
 */

/** `klingflow list --json`, as far as these tests read it. */
interface ListedJobs {
  jobs: {
    workflowId: string;
    status: string;
    phase: string;
    provider: string;
    model: string;
    costUsd: number | null;
  }[];
}

/** The contract's commands (design.md, "Commands"). */
const CONTRACT_COMMANDS = [
  'dev',
  'server',
  'worker',
  'generate',
  'status',
  'cancel',
  'batch',
  'providers',
  'list',
];

/** A process stack with every fake and a worker process serving its task queue. */
interface Stack extends ProcessStack {
  worker: KlingflowProcess;
}

async function startStack(): Promise<Stack> {
  const base = await startProcessStack('e2e-cli', 'all');
  return { ...base, worker: await startWorkerProcess(base.environment) };
}

async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  // SIGTERM is the worker's clean stop; it must exit by itself, with success.
  expect(await stack.worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  await stack.stop();
}

function parseJson<T>(stdout: string, output: string): T {
  try {
    return JSON.parse(stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document\n${output}`);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Runs `test` with these fakes rendering for `ms`, then gives them back their render time. */
async function withRenderTime(
  fakes: readonly FakeProviderServer[],
  ms: number,
  test: () => Promise<void>,
): Promise<void> {
  const before = fakes.map((fake) => fake.renderMs);
  for (const fake of fakes) fake.renderMs = ms;
  try {
    await test();
  } finally {
    fakes.forEach((fake, index) => {
      fake.renderMs = before[index]!;
    });
  }
}

function totalSubmissions(providers: SimulatedProviderSet): number {
  return Object.values(providers.fakes).reduce((sum, fake) => sum + fake.submissions, 0);
}

describe('klingflow CLI with a worker process', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stopStack(stack);
  });

  const klingflow = (...args: string[]) => runKlingflow(args, stack.environment);

  it('--help exits 0 and lists every command of the contract', async () => {
    const result = await klingflow('--help');

    expect(result.code, result.output).toBe(0);
    const listed = [...result.stdout.matchAll(/^ {2}(\w+)\b/gm)].map((match) => match[1]);
    expect(listed).toEqual(expect.arrayContaining(CONTRACT_COMMANDS));
  });

  it('generate --wait --json exits 0 and prints the contract JSON for a stored, verified video', async () => {
    const result = await klingflow(
      'generate',
      '--prompt',
      'a red fox running through fresh snow',
      '--wait',
      '--json',
    );

    expect(result.code, result.output).toBe(0);
    const status = parseJson<GenerationStatus>(result.stdout, result.output);
    expect(status).toMatchObject({
      workflowId: expect.any(String),
      status: 'succeeded',
      phase: 'done',
      provider: expect.toBeOneOf([...PROVIDER_IDS]),
      providerTaskId: expect.stringMatching(/.+/),
      model: 'kling-v2.6',
      mode: 'std',
      estimatedCost: { amount: expect.any(Number), unit: expect.any(String) },
    });
    expect(status.estimatedCost!.amount).toBeGreaterThan(0);
    expect(status.attempts).toEqual([
      expect.objectContaining({ provider: status.provider, outcome: 'succeeded' }),
    ]);
    expect(status.videos).toEqual([
      {
        path: expect.any(String),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        bytes: expect.any(Number),
        sourceUrl: expect.stringMatching(/^https?:\/\//),
      },
    ]);
    const [video] = status.videos;
    expect(isAbsolute(video!.path)).toBe(true);
    expect(video!.path.startsWith(stack.storageDirectory)).toBe(true);
    const bytes = await readFile(video!.path);
    expect(bytes.length).toBe(video!.bytes);
    expect(sha256(bytes)).toBe(video!.sha256);
    const provider = stack.providers.fakes[status.provider as ProviderId];
    expect(video!.sha256).toBe(sha256(provider.videoBuffer));
    expect(provider.submissions).toBe(1);
    expect(totalSubmissions(stack.providers)).toBe(1);
  });

  it('generate --wait --json for a job no provider fits: exit 1, a contract phase, nothing submitted', async () => {
    const before = totalSubmissions(stack.providers);
    const result = await klingflow(
      'generate',
      '--prompt',
      'a paper boat',
      '--max-cost',
      '0.001',
      '--wait',
      '--json',
    );

    expect(result.code, result.output).toBe(1);
    const status = parseJson<GenerationStatus>(result.stdout, result.output);
    expect(status.status).toBe('failed');
    // design.md's phases: the route planning it failed in is reported as submitting.
    expect(['submitting', 'waiting', 'downloading', 'storing', 'done']).toContain(status.phase);
    expect(status.attempts.length).toBeGreaterThan(0);
    expect(status.attempts.every((attempt) => attempt.errorKind === 'over-budget')).toBe(true);
    expect(status.error).toContain('nothing was submitted');
    expect(totalSubmissions(stack.providers)).toBe(before);
  });

  it('generate without --wait prints the workflow id once started, and status --wait --json reports success', async () => {
    const started = await klingflow('generate', '--prompt', 'a kite over a beach');

    expect(started.code, started.output).toBe(0);
    const workflowId = started.stdout.trim();
    expect(workflowId).toMatch(/^\S+$/);
    // "Exits once the workflow has started": it exists on the server the moment the CLI is done.
    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.taskQueue).toBe(stack.taskQueue);

    const waited = await klingflow('status', workflowId, '--wait', '--json');

    expect(waited.code, waited.output).toBe(0);
    const status = parseJson<GenerationStatus>(waited.stdout, waited.output);
    expect(status).toMatchObject({ workflowId, status: 'succeeded', phase: 'done' });
    expect(status.videos).toHaveLength(1);
    expect(sha256(await readFile(status.videos[0]!.path))).toBe(status.videos[0]!.sha256);
  });

  it('list shows jobs from Temporal visibility, filtered, as a table or JSON; a bad --status exits 2', async () => {
    const workflowId = `list-${randomUUID()}`;
    const generated = await klingflow(
      'generate',
      '--prompt',
      'a paper boat on a puddle',
      '--id',
      workflowId,
      '--wait',
      '--json',
    );
    expect(generated.code, generated.output).toBe(0);
    const provider = parseJson<GenerationStatus>(generated.stdout, generated.output).provider;

    // Visibility is eventually consistent: wait (through the client, not a CLI process per try)
    // until the server lists the finished job with its provider, then ask the CLI once.
    await waitUntil('the job listed as succeeded', async () => {
      const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed' AND ${KLING_PROVIDER.name} = '${provider}'`;
      for await (const _execution of stack.client.workflow.list({ query })) return true;
      return false;
    });
    const listedJson = await klingflow(
      'list',
      '--status',
      'succeeded',
      '--since',
      '10m',
      '--limit',
      '1000',
      '--json',
    );
    expect(listedJson.code, listedJson.output).toBe(0);
    const listed = parseJson<ListedJobs>(listedJson.stdout, listedJson.output).jobs.find(
      (job) => job.workflowId === workflowId && job.provider === provider,
    );
    expect(listed).toMatchObject({
      status: 'succeeded',
      phase: 'done',
      model: 'kling-v2.6',
      costUsd: expect.any(Number),
      costByUnit: expect.any(Object),
    });

    const running = await klingflow('list', '--status', 'running', '--json', '--limit', '1000');
    expect(running.code, running.output).toBe(0);
    const runningIds = parseJson<ListedJobs>(running.stdout, running.output).jobs.map(
      (job) => job.workflowId,
    );
    expect(runningIds).not.toContain(workflowId);

    const table = await klingflow(
      'list',
      '--provider',
      provider ?? '',
      '--since',
      '10m',
      '--limit',
      '1000',
    );
    expect(table.code, table.output).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+PHASE\s+PROVIDER\s+MODEL\s+AGE\s+COST\n/);
    expect(table.stdout).toMatch(
      new RegExp(`^${workflowId}\\s+succeeded\\s+done\\s+${provider}\\s`, 'm'),
    );

    const bad = await klingflow('list', '--status', 'finished');
    expect(bad.code, bad.output).toBe(2);
    expect(bad.stderr).toMatch(
      /--status: "finished" is not a job status \(allowed: running, succeeded, failed, cancelled\)/,
    );
  });

  it('cancel stops a slow job: status --json says cancelled, exits 1, and no file is left', async () => {
    const hyprlab = stack.providers.fakes.hyprlab;
    await withRenderTime([hyprlab], 20_000, async () => {
      const started = await klingflow(
        'generate',
        '--prompt',
        'a glacier calving',
        '--model',
        'kling-v1.6',
        '--providers',
        'hyprlab',
      );
      expect(started.code, started.output).toBe(0);
      const workflowId = started.stdout.trim();
      const handle = stack.client.workflow.getHandle(workflowId);
      await waitUntil(
        'the job waits for the provider',
        async () => (await handle.query(statusQuery)).phase === 'waiting',
        { processes: [stack.worker] },
      );

      const cancelled = await klingflow('cancel', workflowId);

      expect(cancelled.code, cancelled.output).toBe(0);
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

      const status = await klingflow('status', workflowId, '--json');

      expect(status.code, status.output).toBe(1);
      const cancelledStatus = parseJson<GenerationStatus>(status.stdout, status.output);
      expect(cancelledStatus).toMatchObject({ workflowId, status: 'cancelled' });
      // The task HyprLab created bills although the job was cancelled: list shows its cost.
      expect(cancelledStatus.spend.usd).toBeGreaterThan(0);
      await waitUntil('the job listed as cancelled', async () => {
        const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Canceled'`;
        for await (const _execution of stack.client.workflow.list({ query })) return true;
        return false;
      });
      const listed = await klingflow('list', '--status', 'cancelled', '--since', '10m', '--json');
      expect(listed.code, listed.output).toBe(0);
      const row = parseJson<ListedJobs>(listed.stdout, listed.output).jobs.find(
        (job) => job.workflowId === workflowId,
      );
      expect(row?.costUsd).toBe(cancelledStatus.spend.usd);
      const leftovers = [
        ...(await readdir(stack.storageDirectory)),
        ...(await readdir(join(stack.storageDirectory, '.partial')).catch(() => [])),
      ].filter((name) => name.startsWith(workflowId));
      expect(leftovers).toEqual([]);
      expect(hyprlab.requestsFor('download')).toEqual([]);

      const again = await klingflow('cancel', workflowId);
      expect(again.code, again.output).toBe(0);
      expect(again.stdout).toBe(`${workflowId} already ended (cancelled): nothing to cancel\n`);
    });
  });

  it('batch --id run twice: the second run says so, follows every item and submits nothing', async () => {
    const batchId = `cli-rerun-${randomUUID()}`;
    const file = join(stack.storageDirectory, `${batchId}.jsonl`);
    await writeFile(
      file,
      ['{"prompt":"a heron in reeds"}', '{"prompt":"rain on a tin roof","duration":10}', ''].join(
        '\n',
      ),
    );
    const batch = () => klingflow('batch', file, '--id', batchId, '--wait', '--json');

    const first = await batch();
    expect(first.code, first.output).toBe(0);
    expect(first.stderr).toContain(`started batch ${batchId} (2 items)`);
    const submittedByFirst = totalSubmissions(stack.providers);

    const second = await batch();

    expect(second.code, second.output).toBe(0);
    expect(second.stderr).toContain(
      `started batch ${batchId} again (2 items): items that finished or are running are followed, not submitted again`,
    );
    const result = parseJson<{ succeeded: number; items: { existing?: boolean }[] }>(
      second.stdout,
      second.output,
    );
    expect(result.succeeded).toBe(2);
    expect(result.items.map((item) => item.existing)).toEqual([true, true]);
    expect(totalSubmissions(stack.providers)).toBe(submittedByFirst);
  });

  it('Ctrl-C while generate --wait follows a job: exit 130, and the job keeps running on the server', async () => {
    const hyprlab = stack.providers.fakes.hyprlab;
    const workflowId = `ctrl-c-${randomUUID()}`;
    await withRenderTime([hyprlab], 20_000, async () => {
      const following = spawnKlingflow(
        [
          'generate',
          '--prompt',
          'a lantern on a jetty',
          '--model',
          'kling-v1.6',
          '--providers',
          'hyprlab',
          '--id',
          workflowId,
          '--wait',
        ],
        stack.environment,
        { inTerminal: true },
      );
      await following.waitForOutput(/· waiting ·/);

      following.pressCtrlC();

      expect(describeExit(await following.waitForExit()), following.output).toBe('exit code 130');
      expect(following.stderr).toContain(
        `SIGINT: no longer following job ${workflowId}; it keeps running on the Temporal server: \`klingflow status ${workflowId} --wait\` follows it again`,
      );
      const handle = stack.client.workflow.getHandle(workflowId);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.cancel();
    });
  });

  it('generate --out: a copy that fails after the job still prints the result, then exits 1 saying where the video is', async () => {
    const hyprlab = stack.providers.fakes.hyprlab;
    const out = join(stack.storageDirectory, `copies-${randomUUID()}`);
    await withRenderTime([hyprlab], 3_000, async () => {
      const generating = spawnKlingflow(
        [
          'generate',
          '--prompt',
          'a moth at a lamp',
          '--model',
          'kling-v1.6',
          '--providers',
          'hyprlab',
          '--out',
          out,
          '--wait',
        ],
        stack.environment,
      );
      await generating.waitForOutput(/· waiting ·/);
      // Checked and made before the job started; gone by the time the video is stored.
      expect((await stat(out)).isDirectory()).toBe(true);
      await rm(out, { recursive: true });
      await writeFile(out, 'in the way');

      expect(describeExit(await generating.waitForExit()), generating.output).toBe('exit code 1');
      expect(generating.stdout).toMatch(/: succeeded\n/);
      expect(generating.stderr).toMatch(
        new RegExp(
          `the video is stored at ${stack.storageDirectory}/\\S+\\.mp4, but copying it to ${out} failed: ENOTDIR`,
        ),
      );
    });
  });

  it('status takes a batch by its id or its workflow id: counts, and with --wait its result', async () => {
    const batchId = `cli-status-${randomUUID()}`;
    const file = join(stack.storageDirectory, `${batchId}.jsonl`);
    await writeFile(file, '{"prompt":"a crane at dawn"}\n{"prompt":"a crane at dusk"}\n');
    const started = await klingflow('batch', file, '--id', batchId);
    expect(started.code, started.output).toBe(0);

    const waited = await klingflow('status', batchId, '--wait', '--json');

    expect(waited.code, waited.output).toBe(0);
    expect(parseJson(waited.stdout, waited.output)).toMatchObject({
      batchId,
      succeeded: 2,
      failed: 0,
    });
    const byWorkflowId = await klingflow('status', `batch-${batchId}`, '--json');
    expect(byWorkflowId.code, byWorkflowId.output).toBe(0);
    expect(parseJson(byWorkflowId.stdout, byWorkflowId.output)).toMatchObject({
      batchId,
      state: 'completed',
      succeeded: 2,
    });
    const text = await klingflow('status', batchId);
    expect(text.code, text.output).toBe(0);
    expect(text.stdout).toContain(`batch ${batchId}: 2/2 done · 2 succeeded, 0 failed, 0 skipped`);
  });

  it('cancel takes a batch id: the batch and its running items are cancelled', async () => {
    await withRenderTime(Object.values(stack.providers.fakes), 20_000, async () => {
      const batchId = `cli-cancel-${randomUUID()}`;
      const file = join(stack.storageDirectory, `${batchId}.jsonl`);
      await writeFile(file, '{"prompt":"a slow tide"}\n');
      expect((await klingflow('batch', file, '--id', batchId)).code).toBe(0);

      const cancelled = await klingflow('cancel', batchId);

      expect(cancelled.code, cancelled.output).toBe(0);
      expect(cancelled.stdout).toBe(`cancellation requested for batch-${batchId}\n`);
      const status = await klingflow('status', batchId, '--wait', '--json');
      expect(status.code, status.output).toBe(1);
      expect(status.stderr).toContain(`batch ${batchId} did not finish`);
      const described = await stack.client.workflow.getHandle(`batch-${batchId}`).describe();
      expect(described.status.name).toBe('CANCELLED');
    });
  });

  it('status and cancel of an id that names nothing, or of an empty one (an unset variable), exit 2', async () => {
    const unknown = `cli-unknown-${randomUUID()}`;
    for (const command of ['status', 'cancel']) {
      const missing = await klingflow(command, unknown);
      expect(missing.code, missing.output).toBe(2);
      expect(missing.stderr).toContain(`workflowId: no generation with id ${unknown}`);

      const empty = await klingflow(command, '');
      expect(empty.code, empty.output).toBe(2);
      expect(empty.stderr).toContain('workflowId: is empty');
    }
  });

  it('providers --json exits 0 and lists all six providers with their offers and prices', async () => {
    const result = await klingflow('providers', '--json');

    expect(result.code, result.output).toBe(0);
    const listing = parseJson<{
      providers: {
        id: string;
        offers: { model: string; mode: string; duration: number; price: unknown }[];
      }[];
    }>(result.stdout, result.output);
    expect(listing.providers.map((provider) => provider.id).sort()).toEqual(
      [...PROVIDER_IDS].sort(),
    );
    for (const provider of listing.providers) {
      expect(provider.offers.length, provider.id).toBeGreaterThan(0);
      for (const offer of provider.offers) {
        expect(offer, provider.id).toMatchObject({
          model: expect.any(String),
          mode: expect.toBeOneOf(['std', 'pro']),
          duration: expect.any(Number),
          price: { amount: expect.any(Number), unit: expect.any(String) },
        });
      }
    }
  });
});

describe('klingflow CLI refusing to start a job', () => {
  // Fresh fakes and a worker serving this queue: had anything been started, it would reach them.
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stopStack(stack);
  });

  /** No workflow with this id exists, and not one request reached any provider. */
  async function expectNothingStarted(workflowId: string): Promise<void> {
    await expect(stack.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    for (const [id, fake] of Object.entries(stack.providers.fakes)) {
      expect(fake.requests, `requests that reached ${id}`).toEqual([]);
    }
  }

  // Independent refusals (each its own id, none may reach a provider): run side by side.
  it.concurrent.each([
    { field: 'model', flags: ['--model', 'kling-v9'], allowed: 'kling-v2.6' },
    { field: 'duration', flags: ['--duration', '7'], allowed: '5, 10' },
    { field: 'cfgScale', flags: ['--cfg-scale', '1.5'], allowed: '0 and 1' },
    { field: 'aspectRatio', flags: ['--aspect-ratio', '4:3'], allowed: '16:9' },
    { field: '--providers', flags: ['--providers', 'hyprlab,nope'], allowed: 'openai-hk' },
    {
      field: 'shots',
      flags: ['--model', 'kling-v3', '--shot', 'a wide street:3', '--shot', 'a close-up'],
      allowed: 'TEXT:SECONDS',
    },
    {
      field: 'motionVideo',
      flags: [
        '--model',
        'kling-motion-control',
        '--start-image',
        'https://images.example/cat.png',
        '--motion-video',
        './dance.mp4',
      ],
      allowed: 'http(s) URL',
    },
    {
      field: 'referenceVideo',
      flags: ['--model', 'kling-o1', '--reference-video', '/tmp/ref.mp4'],
      allowed: 'http(s) URL',
    },
  ])(
    'exits 2 naming $field, and submits nothing, for an invalid $field',
    async ({ field, flags, allowed }) => {
      const workflowId = `e2e-invalid-${randomUUID()}`;
      const result = await runKlingflow(
        ['generate', '--prompt', 'a lantern festival', ...flags, '--id', workflowId, '--wait'],
        stack.environment,
      );

      expect(result.code, result.output).toBe(2);
      expect(result.stderr).toContain(`${field}:`);
      expect(result.stderr).toContain(allowed);
      expect(result.stdout).toBe('');
      await expectNothingStarted(workflowId);
    },
  );

  it.concurrent('exits 2 naming prompt when neither a prompt, an image nor shots is given', async () => {
    const workflowId = `e2e-no-prompt-${randomUUID()}`;
    const result = await runKlingflow(
      ['generate', '--model', 'kling-v1.6', '--id', workflowId, '--wait'],
      stack.environment,
    );

    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain('prompt:');
    expect(result.stdout).toBe('');
    await expectNothingStarted(workflowId);
  });

  it.concurrent('exits 3 when nothing answers at TEMPORAL_ADDRESS', async () => {
    const closedPort = await freePort();
    const workflowId = `e2e-unreachable-${randomUUID()}`;
    const result = await runKlingflow(['generate', '--prompt', 'x', '--id', workflowId], {
      ...stack.environment,
      TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
    });

    expect(result.code, result.output).toBe(3);
    expect(result.stderr).toContain(`127.0.0.1:${closedPort}`);
    // --wait would not help: a set address is never replaced by an embedded server.
    expect(result.stderr).not.toContain('use --wait');
    expect(result.stdout).toBe('');
    await expectNothingStarted(workflowId);
  });

  it.concurrent('with --wait, exits 3 at a set address without suggesting the --wait it has', async () => {
    const closedPort = await freePort();
    const workflowId = `e2e-unreachable-wait-${randomUUID()}`;
    const result = await runKlingflow(['generate', '--prompt', 'x', '--id', workflowId, '--wait'], {
      ...stack.environment,
      TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
    });

    expect(result.code, result.output).toBe(3);
    expect(result.stderr).toContain('only when no address is configured');
    expect(result.stderr).not.toContain('use --wait');
    await expectNothingStarted(workflowId);
  });
});

describe('klingflow server and dev refusing their flags', () => {
  // Each exits before any server starts: a port or a database path the server could not use.
  it.concurrent.each([
    { line: 'server --port 70000', says: '--port: 70000 is not a port number' },
    { line: 'server --port -5', says: '--port: -5 is not a port number' },
    { line: 'dev --ui-port 70000', says: '--ui-port: 70000 is not a port' },
    { line: 'server --port 65000', says: '--ui-port: the default' },
    { line: 'server --db-filename FILE/temporal.db', says: '--db-filename:' },
  ])('$line exits 2: $says', async ({ line, says }) => {
    const directory = await mkdtemp(join(tmpdir(), 'klingflow-flags-'));
    try {
      // A file where the database's directory would be.
      await writeFile(join(directory, 'FILE'), 'not a directory');
      const args = line.split(' ').map((word) => word.replace('FILE', join(directory, 'FILE')));
      const result = await runKlingflow(args, { ...process.env, KLINGFLOW_STORAGE_DIR: directory });
      expect(result.code, result.output).toBe(2);
      expect(result.stderr).toContain(says);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
