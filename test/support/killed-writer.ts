import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { temporaryPathFor } from '../../src/storage/local-files.js';

/**
 * A real process that dies mid-write: it creates the temp file `writeFileAtomically` would
 * (named by `temporaryPathFor` with its pid), writes half a document and is SIGKILLed before
 * it can rename it. Resolves to the temp file it left behind.
 */
export async function tempFileOfKilledWriter(
  directory: string,
  targetName: string,
): Promise<string> {
  const script = `
    process.stdin.once('data', (line) => {
      require('node:fs').writeFileSync(line.toString().trim(), '{"version":1,"sam');
      process.stdout.write('written\\n');
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error('the writer process did not start');
  const path = temporaryPathFor(join(directory, targetName), directory, child.pid);
  child.stdin.write(`${path}\n`);
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  return path;
}
