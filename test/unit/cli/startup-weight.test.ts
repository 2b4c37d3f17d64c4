import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../bin/klingflow.js', import.meta.url));

/** Preloaded into the CLI process: prints the packages it loaded (CommonJS ones) as it exits. */
const REPORT_PACKAGES = `
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file);
    if (match) packages.add(match[1]);
  }
  process.stderr.write('\\nLOADED ' + JSON.stringify([...packages]) + '\\n');
});
`;

describe('what a CLI call loads', () => {
  let directory: string;
  let hook: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-cli-weight-'));
    hook = join(directory, 'report-packages.cjs');
    await writeFile(hook, REPORT_PACKAGES);
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('refuses a bad request without loading the Temporal SDK (about half a CPU second a call)', async () => {
    const refused = await promisify(execFile)(
      process.execPath,
      ['--require', hook, CLI, 'generate', '--model', 'kling-v9', '--prompt', 'x'],
      { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' } },
    ).catch((error: { code: number; stderr: string }) => error);
    expect('code' in refused ? refused.code : 0).toBe(2);
    const loaded = JSON.parse(/LOADED (.*)/.exec(refused.stderr)?.[1] ?? 'null') as string[];
    expect(loaded).toContain('commander');
    expect(loaded).not.toContain('@temporalio/worker');
    expect(loaded).not.toContain('@temporalio/client');
    expect(loaded).not.toContain('@grpc/grpc-js');
  });
});
