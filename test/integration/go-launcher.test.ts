import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toolsDirectory } from '../../src/temporal/temporal-cli.js';
import { findGo, runCommand } from '../setup/go-tool.js';
import { runKlingflow } from '../support/processes.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

const LAUNCHER_SOURCE = fileURLToPath(new URL('../../examples/go-launcher/', import.meta.url));
const LAUNCHER_BINARY = join(toolsDirectory(), 'go-launcher', 'go-launcher');

/**
 * examples/go-launcher starts generateVideo with the Temporal Go SDK and waits for the result:
 * built here with Go (the build cache keeps repeat builds to seconds) and run against the test
 * dev server, a klingflow worker and the HyprLab fake.
 */
describe('the Go launcher example', () => {
  let context: IntegrationContext;

  beforeAll(async () => {
    const go = await findGo();
    const code = await runCommand(go, ['build', '-o', LAUNCHER_BINARY, '.'], {
      cwd: LAUNCHER_SOURCE,
      env: { ...process.env, GOFLAGS: process.env.GOFLAGS ?? '-trimpath' },
    });
    expect(code, 'go build examples/go-launcher').toBe(0);
    context = await createIntegrationContext({ providers: ['hyprlab'] });
  }, 600_000);
  afterAll(async () => {
    await context?.teardown();
  });

  it('starts a job from Go, waits, and prints a result that matches `klingflow schema --result`', async () => {
    const worker = await context.createWorker();
    const launched = await worker.runUntil(
      runLauncher([
        '-prompt',
        'a paper boat on a pond',
        '-model',
        'kling-v1.6',
        '-providers',
        'hyprlab',
        '-id',
        `go-${Date.now()}`,
      ]),
    );
    expect(launched.code, launched.stderr).toBe(0);
    const result = JSON.parse(launched.stdout) as {
      status: string;
      provider: string;
      videos: { path: string; sha256: string }[];
    };
    expect(result).toMatchObject({ status: 'succeeded', provider: 'hyprlab' });
    const bytes = await readFile(result.videos[0]?.path ?? '');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(result.videos[0]?.sha256);

    // The CLI's schema is the contract the Go program was written against.
    const schema = await runKlingflow(['schema', '--result'], {});
    expect(schema.code).toBe(0);
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(schema.stdout));
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
  });

  function runLauncher(
    args: string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(LAUNCHER_BINARY, args, {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TEMPORAL_NAMESPACE: 'default',
          KLINGFLOW_TASK_QUEUE: context.taskQueue,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
});
