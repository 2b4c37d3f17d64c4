import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { childEnvironment } from '../support/child-environment.js';
import { REPO_ROOT } from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A plain JavaScript program, as a backend pipeline would write it: no TypeScript anywhere. */
const PROGRAM = `import { KlingflowClient } from 'klingflow';

const client = await KlingflowClient.connect();
try {
  const { workflowId } = await client.startGeneration(
    { prompt: 'a paper boat on a rainy street', model: 'kling-v2.6', duration: 5 },
    { providers: ['apimodels'] },
  );
  const result = await client.waitForResult(workflowId);
  console.log(JSON.stringify(result));
} finally {
  await client.close();
}
`;

/**
 * The package as users get it: \`npm pack\` (which builds dist/ through prepack), installed from
 * the tarball into a fresh project of plain JavaScript, its client importing 'klingflow' and its
 * \`klingflow worker\` running a generation against the run's dev server and a provider fake.
 */
describe('the packed package in a plain JavaScript project', () => {
  let project: string;
  let providers: SimulatedProviderSet;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'klingflow-package-'));
    await run(npm, ['pack', '--pack-destination', project], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    const tarball = (await readdir(project)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'pipeline', private: true, type: 'module' }),
    );
    await writeFile(join(project, 'generate.js'), PROGRAM);
    await run(npm, ['install', `./${tarball}`, '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: project,
      maxBuffer: 64 * 1024 * 1024,
    });
    providers = await startSimulatedProviders({ renderMs: 300, only: ['apimodels'] });
  }, 600_000);

  afterAll(async () => {
    await providers?.stop();
    await rm(project, { recursive: true, force: true });
  });

  it('ships compiled JavaScript and declarations, and no TypeScript tooling comes with it', () => {
    const installed = join(project, 'node_modules/klingflow');
    expect(existsSync(join(installed, 'dist/src/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/src/index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'dist/src/workflow-bundle.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/src/workflow-bundle-untraced.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    for (const tool of ['typescript', 'tsx']) {
      expect(existsSync(join(project, 'node_modules', tool)), tool).toBe(false);
    }
  });

  it('`klingflow --version` works from the installed bin', async () => {
    const { stdout } = await run(join(project, 'node_modules/.bin/klingflow'), ['--version'], {
      cwd: project,
    });
    expect(stdout.trim()).toBe('0.1.0');
  });

  it('imports KlingflowClient and runs a generation through the installed worker', async () => {
    const taskQueue = `package-${randomUUID()}`;
    const storage = join(project, 'videos');
    const environment = childEnvironment({
      ...providers.environment,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_TASK_QUEUE: taskQueue,
      KLINGFLOW_STORAGE_DIR: storage,
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
      KLINGFLOW_POLL_INTERVAL: '200ms',
      KLINGFLOW_INITIAL_WAIT: '0',
    });
    const worker = spawn(join(project, 'node_modules/.bin/klingflow'), ['worker'], {
      cwd: project,
      env: environment,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let workerOutput = '';
    worker.stderr.setEncoding('utf8').on('data', (text: string) => {
      workerOutput += text;
    });
    const exited = new Promise((resolve) => worker.once('close', resolve));
    try {
      await waitUntil(
        'the installed worker is connected',
        () => workerOutput.includes('worker connected to'),
        { timeoutMs: 60_000 },
      );
      const { stdout } = await run(process.execPath, ['generate.js'], {
        cwd: project,
        env: environment,
      });
      const result = JSON.parse(stdout) as {
        status: string;
        provider: string;
        videos: { path: string; bytes: number }[];
      };
      expect(result.status).toBe('succeeded');
      expect(result.provider).toBe('apimodels');
      expect(result.videos[0]?.path.startsWith(storage)).toBe(true);
      expect(existsSync(result.videos[0]?.path ?? '')).toBe(true);
      expect(providers.fakes.apimodels.submissions).toBe(1);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
    expect(workerOutput).not.toMatch(/Error|ERR_/);
  });
});
