import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import {
  access,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { StorageError, type VideoSidecar } from './video-storage.js';

/**
 * The local-disk steps both storages and the batch manifest share: atomic writes, hashing,
 * "does it exist", no-clobber placement and the staging-path guard.
 */

/**
 * Which host a temp file's writer ran on: its pid means something only there, and a storage
 * directory may be shared by the workers of several hosts.
 */
const THIS_HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** `<target>.<host>.<pid>.<12 hex>.tmp` (`temporaryPathFor`); without `<host>` before 2026-12-01. */
const TEMP_NAME = /^(.+?)(?:\.([0-9a-f]{8}))?\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** A unique temp path for `target`, named so `removeAbandonedTempFiles` knows its writer. */
export function temporaryPathFor(
  target: string,
  tempDirectory = dirname(target),
  pid = process.pid,
): string {
  return join(
    tempDirectory,
    `${basename(target)}.${THIS_HOST}.${pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/**
 * Writes to a unique temp file in `tempDirectory` (on the target's filesystem; beside the
 * target by default), syncs it, then renames it over the target: a reader sees the old or the
 * new content, never half of it.
 */
export async function writeFileAtomically(
  target: string,
  data: string | Uint8Array,
  tempDirectory = dirname(target),
): Promise<void> {
  await mkdir(tempDirectory, { recursive: true });
  const temp = temporaryPathFor(target, tempDirectory);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A process holds its temp file for one write and sync; one this old was abandoned. */
const ABANDONED_TEMP_AGE_MS = 60_000;

/**
 * Removes the temp files `writeFileAtomically` left in `directory` when its process died
 * mid-write (SIGKILL, OOM, power loss), for targets named `targetName` (all by default): those
 * written on this host by a process no longer running, and any older than a minute (the
 * writer's pid may have been reused; another host's writer, or one named before the host was,
 * is judged by age alone). Best effort: a directory it cannot read is left as it is.
 */
export async function removeAbandonedTempFiles(
  directory: string,
  targetName?: string,
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match || (targetName !== undefined && match[1] !== targetName)) continue;
    const [, , host, pid] = match;
    const path = join(directory, name);
    try {
      const abandoned =
        (host === THIS_HOST && !isRunningHere(Number(pid))) ||
        now - (await stat(path)).mtimeMs > ABANDONED_TEMP_AGE_MS;
      if (abandoned) await rm(path, { force: true });
    } catch {
      // Gone meanwhile (its writer renamed it), or not ours to remove: leave it.
    }
  }
}

function isRunningHere(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function sidecarJson(sidecar: VideoSidecar): string {
  return `${JSON.stringify(sidecar, null, 2)}\n`;
}

/**
 * A hard link refuses to replace an existing file, unlike rename, so a concurrent commit of the
 * same key cannot be silently overwritten. Filesystems without hard links fall back to rename.
 * Returns false when the final path already existed.
 */
export async function placeWithoutClobbering(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await rename(source, target);
      return true;
    }
    throw error;
  }
  await unlink(source);
  return true;
}

/** Makes the renames themselves durable; some platforms cannot open directories, which is fine. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data itself was already synced before the rename.
  } finally {
    await handle?.close();
  }
}

export function normaliseContentType(contentType: string): string {
  const essence = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(essence)
    ? essence
    : 'application/octet-stream';
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256OfFile(path: string, end?: number): Promise<string> {
  const hash = createHash('sha256');
  if (end === 0) return hash.digest('hex');
  const stream = createReadStream(path, end === undefined ? {} : { start: 0, end: end - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function sha256OfFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await sha256OfFile(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function sizeIfExists(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  return (await sizeIfExists(path)) !== undefined;
}

/** The staged download's absolute path; refuses one outside the staging directory. */
export function stagedTempPath(stagingDirectory: string, tempPath: string): string {
  const absolute = resolve(tempPath);
  if (!isInside(stagingDirectory, absolute)) {
    throw new StorageError(
      'invalid-temp-path',
      `temp file must be under ${stagingDirectory}, not ${absolute}`,
    );
  }
  return absolute;
}

export function isInside(directory: string, path: string): boolean {
  const relativePath = relative(directory, path);
  return relativePath !== '' && !relativePath.startsWith('..') && !isAbsolute(relativePath);
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** A blob whose bytes no longer hash to its name is corrupt, never served. */
export function assertBlobDigest(reference: string, digest: string, bytes: Uint8Array): void {
  const actual = sha256Hex(bytes);
  if (actual !== digest) {
    throw new StorageError(
      'checksum-mismatch',
      `blob ${reference} is corrupt: its content hashes to ${actual}`,
    );
  }
}

/** Makes the directory if needed and checks this process may write into it. */
export async function writableDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  await access(directory, constants.W_OK);
}
