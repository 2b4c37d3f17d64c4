import { spawn } from 'node:child_process';
import { access, constants, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { toolsDirectory } from '../../src/temporal/temporal-cli.js';

/**
 * Go programs the tests run (gofakes3, the Go launcher example), built once with the Go
 * toolchain into the ignored `.tools/` folder and reused from there. The Temporal CLI has its
 * own locator in src/temporal because the product uses it too; these are test-only.
 */

export interface GoTool {
  /** `go install` package path. */
  module: string;
  version: string;
  binary: string;
}

/** gofakes3: an S3-compatible server (in memory) for the storage tests. */
export const GOFAKES3: GoTool = {
  module: 'github.com/johannesboyne/gofakes3/cmd/gofakes3',
  version: 'v1.2.0',
  binary: 'gofakes3',
};

export function goToolPath(tool: GoTool, environment: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDirectory(environment), `${tool.binary}-${tool.version}`, tool.binary);
}

/** The Go toolchain: on PATH, or where the official installer puts it. */
export async function findGo(environment: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates = [
    ...(environment.PATH ?? '')
      .split(':')
      .filter(Boolean)
      .map((dir) => join(dir, 'go')),
    '/usr/local/go/bin/go',
  ];
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new Error('Go is not installed (looked on PATH and in /usr/local/go/bin)');
}

/** Returns the cached binary, building it with `go install module@version` the first time. */
export async function installGoTool(
  tool: GoTool,
  log: (message: string) => void = () => {},
): Promise<string> {
  const target = goToolPath(tool);
  if (await isExecutable(target)) return target;
  const directory = join(target, '..');
  await mkdir(directory, { recursive: true });
  log(`building ${tool.module}@${tool.version} with Go into ${directory} (first time only)`);
  const go = await findGo();
  const code = await runCommand(go, ['install', `${tool.module}@${tool.version}`], {
    env: { ...process.env, GOBIN: directory, GOFLAGS: process.env.GOFLAGS ?? '-trimpath' },
  });
  if (code !== 0 || !(await isExecutable(target))) {
    await rm(target, { force: true });
    throw new Error(`go install ${tool.module}@${tool.version} failed (exit ${code})`);
  }
  return target;
}

export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
