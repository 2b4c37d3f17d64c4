import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { afterInterruption } from '../../../src/cli/interrupted-wait.js';
import { signalExitCode } from '../../../src/cli/stop-signals.js';

const STOP_SIGNALS_MODULE = fileURLToPath(
  new URL('../../../src/cli/stop-signals.ts', import.meta.url),
);

/** A real process that stops on the first signal (slowly: it never finishes) and prints what it saw. */
function startStoppable() {
  const script = `
    const { onStopSignals } = await import(${JSON.stringify(STOP_SIGNALS_MODULE)});
    onStopSignals((signal) => console.log('stopping on ' + signal), (message) => console.log(message));
    setInterval(() => {}, 1000);
    console.log('ready');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const printed = async (text: string) => {
    while (!output.includes(text)) await once(child.stdout, 'data');
  };
  return { child, printed, output: () => output };
}

describe('stop signals', () => {
  it('the first signal asks for a clean stop; a second one exits at once with its status', async () => {
    const { child, printed, output } = startStoppable();
    try {
      await printed('ready');

      child.kill('SIGINT');
      await printed('stopping on SIGINT');
      expect(child.exitCode).toBeNull();

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');

      expect(code).toBe(143);
      expect(output()).toContain('SIGTERM again: exiting without waiting');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports the status a shell shows for each signal', () => {
    expect([signalExitCode('SIGHUP'), signalExitCode('SIGINT'), signalExitCode('SIGTERM')]).toEqual(
      [129, 130, 143],
    );
  });
});

describe('what an interrupted wait says', () => {
  it('on an embedded server: where the work is kept and the command that resumes it', () => {
    expect(afterInterruption({ kind: 'job', id: 'j1' }, { embedded: true, simulated: false })).toBe(
      'job j1 is kept in .klingflow/temporal.db: run the same command with --id j1 to resume it (nothing is submitted again)',
    );
    expect(
      afterInterruption({ kind: 'batch', id: 'b1' }, { embedded: true, simulated: false }),
    ).toBe(
      'batch b1 is kept in .klingflow/temporal.db: run the same command with --id b1 to resume it (finished and running items are not submitted again)',
    );
  });

  it('with the simulated providers: that a resumed job asks another one', () => {
    expect(
      afterInterruption({ kind: 'job', id: 'j1' }, { embedded: true, simulated: true }),
    ).toContain('simulated providers forget their tasks between runs');
  });

  it('on a Temporal server of its own: that the work keeps running and how to follow it', () => {
    expect(
      afterInterruption({ kind: 'job', id: 'j1' }, { embedded: false, simulated: false }),
    ).toBe(
      'no longer following job j1; it keeps running on the Temporal server: `klingflow status j1 --wait` follows it again',
    );
    expect(
      afterInterruption({ kind: 'batch', id: 'b1' }, { embedded: false, simulated: false }),
    ).toContain('the same command with --id b1 follows it again');
  });

  it('says nothing of work it did not start', () => {
    expect(afterInterruption(undefined, { embedded: true, simulated: false })).toBeUndefined();
  });
});
