import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnerLockTimeoutError, withOwnerLock } from '../../../src/temporal/owner-lock.js';

/** The pid of a process that has exited: nobody owns it any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

function staleLock(pid: number): string {
  return JSON.stringify({ pid, host: hostname(), since: new Date().toISOString() });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('a lock that knows its owner', () => {
  let directory: string;
  let lock: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-lock-'));
    lock = join(directory, '.building.lock');
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('records its owner while held and removes itself after', async () => {
    const result = await withOwnerLock(
      lock,
      async () => JSON.parse(await readFile(lock, 'utf8')) as { pid: number },
      { timeoutMs: 1000 },
    );
    expect(result).toEqual({ ran: true, value: expect.objectContaining({ pid: process.pid }) });
    expect(await exists(lock)).toBe(false);
  });

  it('takes over at once a lock whose owner is dead, instead of waiting out the timeout', async () => {
    await writeFile(lock, staleLock(await deadPid()));
    const messages: string[] = [];
    const started = Date.now();

    const result = await withOwnerLock(lock, async () => 'built', {
      timeoutMs: 60_000,
      pollMs: 60_000,
      log: (message) => messages.push(message),
    });

    expect(result).toEqual({ ran: true, value: 'built' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(messages.join('\n')).toMatch(/owner is gone/);
  });

  it('waits for a live owner, and takes over when it dies', async () => {
    const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    await new Promise((resolve) => owner.once('spawn', resolve));
    await writeFile(lock, staleLock(owner.pid ?? 0));
    const messages: string[] = [];
    const running = withOwnerLock(lock, async () => 'built', {
      timeoutMs: 30_000,
      pollMs: 20,
      log: (message) => {
        messages.push(message);
        if (message.startsWith('waiting')) owner.kill();
      },
    });

    await expect(running).resolves.toEqual({ ran: true, value: 'built' });
    expect(messages[0]).toMatch(/^waiting/);
    expect(messages[1]).toMatch(/owner is gone/);
  });

  it('gives up after the timeout while a live owner holds it', async () => {
    await writeFile(lock, staleLock(process.ppid));
    await expect(
      withOwnerLock(lock, async () => 'built', { timeoutMs: 50, pollMs: 10 }),
    ).rejects.toBeInstanceOf(OwnerLockTimeoutError);
    expect(await exists(lock)).toBe(true);
  });
});
