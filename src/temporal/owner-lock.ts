import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * A lock file that names its owner (pid and host), for work that several processes on one
 * machine may race to do (building the Temporal CLI). A waiter takes the lock over as soon as
 * its owner is gone, so a build that crashed does not leave a lock that makes every later run
 * wait out the timeout and fail.
 */
export interface OwnerLockOptions {
  /** Longest wait for a live owner (an owner on another host is never judged dead). */
  timeoutMs: number;
  pollMs?: number;
  log?: (message: string) => void;
  /** A lock file that stays unreadable this long was left half-written by a crash. */
  unreadableGraceMs?: number;
}

export class OwnerLockTimeoutError extends Error {
  override readonly name = 'OwnerLockTimeoutError';
  readonly kind = 'owner-lock-timeout' as const;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
}

/** Runs `work` holding the lock at `path`; returns undefined without running it if `skip()` turns true while waiting. */
export async function withOwnerLock<T>(
  path: string,
  work: () => Promise<T>,
  options: OwnerLockOptions & { skip?: () => Promise<boolean> },
): Promise<{ ran: true; value: T } | { ran: false }> {
  const deadline = Date.now() + options.timeoutMs;
  let announced = false;
  for (;;) {
    if (await tryCreate(path)) break;
    if (await options.skip?.()) return { ran: false };
    const owner = await readOwner(path);
    if (owner === 'gone') continue;
    if (owner === 'unreadable' ? await unreadableTooLong(path, options) : !isAlive(owner)) {
      options.log?.(`taking over ${path}: its owner is gone`);
      await takeOver(path, owner);
      continue;
    }
    if (!announced) {
      options.log?.(`waiting for another process holding ${path}`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new OwnerLockTimeoutError(
        `timed out after ${options.timeoutMs} ms waiting for ${path}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
  try {
    return { ran: true, value: await work() };
  } finally {
    await rm(path, { force: true });
  }
}

async function tryCreate(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const owner: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(path: string): Promise<Owner | 'unreadable' | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    // A directory (the old lock format) or another odd file: judged by its age.
    return 'unreadable';
  }
  try {
    const owner = JSON.parse(text) as Partial<Owner>;
    if (Number.isInteger(owner.pid) && typeof owner.host === 'string') return owner as Owner;
  } catch {}
  return 'unreadable';
}

/** Only a process on this host can be checked; signal 0 tests existence without sending one. */
function isAlive(owner: Owner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function unreadableTooLong(path: string, options: OwnerLockOptions): Promise<boolean> {
  try {
    const { mtimeMs } = await stat(path);
    return Date.now() - mtimeMs > (options.unreadableGraceMs ?? 10_000);
  } catch {
    return false;
  }
}

/**
 * Moves the stale lock aside (only one waiter's rename succeeds) and checks that what it moved is
 * the lock it judged stale; if another waiter had already replaced it, that live lock goes back.
 */
async function takeOver(path: string, judged: Owner | 'unreadable'): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readOwner(aside);
  const same =
    judged === 'unreadable'
      ? moved === 'unreadable'
      : typeof moved === 'object' && moved.pid === judged.pid && moved.since === judged.since;
  if (!same) await link(aside, path).catch(() => undefined);
  await rm(aside, { recursive: true, force: true });
}
