import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { ConfigurationError } from '../../../src/errors.js';
import { cachedCliPath, locateTemporalCli } from '../../../src/temporal/temporal-cli.js';

async function executable(path: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\necho temporal\n');
  await chmod(path, 0o755);
  return path;
}

describe('locating the Temporal CLI', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-cli-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('prefers TEMPORAL_CLI_PATH', async () => {
    const path = await executable(join(directory, 'custom', 'temporal'));
    const onPath = await executable(join(directory, 'bin', 'temporal'));
    const found = await locateTemporalCli({
      environment: { TEMPORAL_CLI_PATH: path, PATH: join(onPath, '..') },
    });
    expect(found).toEqual({ path, source: 'TEMPORAL_CLI_PATH' });
  });

  it('says clearly when TEMPORAL_CLI_PATH points at nothing: a setting, exit 2', async () => {
    const missing = join(directory, 'missing');
    const refusal = locateTemporalCli({ environment: { TEMPORAL_CLI_PATH: missing } });
    await expect(refusal).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refusal).rejects.toThrow(
      `TEMPORAL_CLI_PATH: ${missing} is not an executable file`,
    );
    expect(exitCodeFor(await refusal.catch((error: unknown) => error))).toBe(2);
  });

  it('then a temporal on PATH, then the project cache', async () => {
    const tools = join(directory, 'tools');
    const cached = await executable(cachedCliPath({ KLINGFLOW_TOOLS_DIR: tools }));
    expect(
      await locateTemporalCli({ environment: { PATH: '', KLINGFLOW_TOOLS_DIR: tools } }),
    ).toEqual({ path: cached, source: 'cache' });
    const onPath = await executable(join(directory, 'bin', 'temporal'));
    expect(
      await locateTemporalCli({
        environment: { PATH: join(onPath, '..'), KLINGFLOW_TOOLS_DIR: tools },
      }),
    ).toEqual({
      path: onPath,
      source: 'PATH',
    });
  });

  it('returns nothing (so the SDK download is used) when nothing is found and building is off', async () => {
    expect(
      await locateTemporalCli({
        environment: { PATH: '', KLINGFLOW_TOOLS_DIR: join(directory, 'empty') },
      }),
    ).toBeUndefined();
  });

  it('builds at once when a crashed build left its lock behind (the owner pid is dead)', async () => {
    const tools = join(directory, 'tools');
    const target = cachedCliPath({ KLINGFLOW_TOOLS_DIR: tools });
    // A stand-in `go` that "installs" a temporal binary into GOBIN.
    const go = join(directory, 'go-bin', 'go');
    await mkdir(join(go, '..'), { recursive: true });
    await writeFile(
      go,
      '#!/bin/sh\nprintf "#!/bin/sh\\necho temporal\\n" > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n',
    );
    await chmod(go, 0o755);
    const crashed = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => crashed.once('exit', resolve));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(
      join(target, '..', '.building'),
      JSON.stringify({ pid: crashed.pid, host: hostname(), since: '2026-01-01T00:00:00Z' }),
    );
    const started = Date.now();

    const found = await locateTemporalCli({
      build: true,
      environment: { PATH: join(go, '..'), KLINGFLOW_TOOLS_DIR: tools },
    });

    expect(found).toEqual({ path: target, source: 'go install' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('returns nothing when asked to build but no Go is installed', async () => {
    const found = await locateTemporalCli({
      build: true,
      environment: {
        PATH: join(directory, 'no-go-here'),
        KLINGFLOW_TOOLS_DIR: join(directory, 'empty'),
      },
    });
    expect(found).toBeUndefined();
  });
});
