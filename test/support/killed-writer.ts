import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

/**
 * A real process that dies mid-write: it creates a temp file the way `writeFileAtomically`
 * names them (`<target>.<its pid>.<12 hex>.tmp`), writes half a document and is SIGKILLed
 * before it can rename it. Resolves to the temp file it left behind.
 */
export async function tempFileOfKilledWriter(
  directory: string,
  targetName: string,
): Promise<string> {
  const script = `
    const path = require('node:path').join(process.argv[1], process.argv[2] + '.' + process.pid + '.0123456789ab.tmp');
    require('node:fs').writeFileSync(path, '{"version":1,"sam');
    process.stdout.write(path + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script, directory, targetName], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  child.kill('SIGKILL');
  await once(child, 'exit');
  const path = line.toString().trim();
  if (!path.startsWith(join(directory, targetName))) throw new Error(`unexpected temp ${path}`);
  return path;
}
