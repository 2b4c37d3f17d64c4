import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so readers see the old or the new content, never half of it: a unique temp
 * file (in `stagingDirectory`, which must be on the target's filesystem; beside the target by
 * default), fsync, then rename over the target.
 */
export async function writeFileAtomically(
  target: string,
  data: string | Uint8Array,
  stagingDirectory = dirname(target),
): Promise<void> {
  await mkdir(stagingDirectory, { recursive: true });
  const temp = join(
    stagingDirectory,
    `${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
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
