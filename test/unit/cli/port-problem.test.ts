import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { portProblem } from '../../../src/cli/port-problem.js';

function listenError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}: …`), { code });
}

describe('a port the worker cannot listen on', () => {
  it('is a setting to change (exit 2) when taken or privileged, naming the flag or variable', () => {
    const taken = portProblem(
      '--metrics-port',
      'cannot serve on port 9464',
      listenError('EADDRINUSE'),
    );
    expect(exitCodeFor(taken)).toBe(2);
    expect(taken.message).toBe(
      '--metrics-port: cannot serve on port 9464: it is already in use (another worker or program listens there)',
    );
    const privileged = portProblem(
      'KLINGFLOW_METRICS_PORT',
      'cannot serve on port 80',
      listenError('EACCES'),
    );
    expect(exitCodeFor(privileged)).toBe(2);
    expect(privileged.message).toContain(
      'KLINGFLOW_METRICS_PORT: cannot serve on port 80: this user may not listen on it',
    );
  });

  it('keeps other failures as they are', () => {
    const other = portProblem('--webhook-port', 'cannot receive callbacks', new Error('boom'));
    expect(exitCodeFor(other)).toBe(1);
    expect(other.message).toBe('cannot receive callbacks: boom');
  });
});
