import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

const run = promisify(execFile);
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const readme = () => readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe('the README examples run as written', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['apimodels', 'kling', 'hyprlab'] });
  });

  afterEach(async () => {
    await context.teardown();
  });

  function runExample(name: string, args: string[] = []) {
    return run(process.execPath, [TSX, example(name), ...args], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        KLINGFLOW_TASK_QUEUE: context.taskQueue,
        KLINGFLOW_STORAGE_DIR: context.storageDirectory,
      },
    });
  }

  it('generate-with-progress.ts prints progress and the stored video', async () => {
    const worker = await context.createWorker();
    const { stdout } = await worker.runUntil(
      runExample('generate-with-progress.ts', ['a paper boat']),
    );
    expect(stdout).toMatch(/^started kf-/m);
    expect(stdout).toMatch(/^video: .*\.mp4 \(\d+ bytes, sha256 [0-9a-f]{64}\)$/m);
    expect(context.providers.fakes.apimodels.submissions).toBe(1);
    expect(await readme()).toContain('examples/generate-with-progress.ts');
  });

  it('batch-from-code.ts runs three items and writes a manifest', async () => {
    const worker = await context.createWorker();
    const { stdout } = await worker.runUntil(runExample('batch-from-code.ts'));
    expect(stdout).toMatch(/succeeded 3, failed 0, manifest .*\.jsonl/);
    const manifestPath = stdout.match(/manifest (\S+\.jsonl)/)?.[1];
    const lines = (await readFile(manifestPath!, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(await readme()).toContain('examples/batch-from-code.ts');
  });
});
