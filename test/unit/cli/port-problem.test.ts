import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { portProblem } from '../../../src/cli/port-problem.js';

function listenError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}: …`), { code });
}

describe('a port the worker cannot listen on', () => {
  it.each([
    [
      'EADDRINUSE',
      '--metrics-port',
      '--metrics-port: cannot serve on port 9464: it is already in use (another worker or program listens there)',
    ],
    [
      'EACCES',
      'KLINGFLOW_METRICS_PORT',
      'KLINGFLOW_METRICS_PORT: cannot serve on port 9464: this user may not listen on it',
    ],
  ])('%s is a setting to change: exit 2 naming %s', (code, field, message) => {
    const problem = portProblem(field, 'cannot serve on port 9464', listenError(code));
    expect(exitCodeFor(problem)).toBe(2);
    expect(problem.message).toBe(message);
  });

  it('keeps other failures as they are', () => {
    const other = portProblem('--webhook-port', 'cannot receive callbacks', new Error('boom'));
    expect(exitCodeFor(other)).toBe(1);
    expect(other.message).toBe('cannot receive callbacks: boom');
  });
});
