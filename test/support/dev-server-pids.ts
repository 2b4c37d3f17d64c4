import { execFileSync } from 'node:child_process';

/**
 * The pids of Temporal dev servers listening on `port`: none once whatever started them has
 * stopped them. Tests that stop a server through klingflow check it is really gone, and end a
 * leftover one when a test failed half-way.
 */
export function devServerPidsOn(port: number): number[] {
  try {
    return execFileSync('pgrep', ['-f', `temporal server start-dev .*--port ${port} `], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
