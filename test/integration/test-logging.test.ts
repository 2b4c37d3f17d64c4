import { Runtime } from '@temporalio/worker';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logLevelFrom, workerLogLevel } from '../../src/temporal/sdk-logging.js';
import { testLogLevel } from '../setup/test-log-level.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('worker logs under test', () => {
  it('drop INFO (the bulk of a run) and keep warnings, unless KLINGFLOW_TEST_LOG=debug', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const { logger } = Runtime.instance();
    logger.info('worker state changed (test marker)');
    logger.warn('activity failed (test marker)');
    logger.warn('No workflows registered, not polling for workflow tasks');

    const output = written.join('');
    expect(output).toContain('activity failed (test marker)');
    expect(output.includes('worker state changed (test marker)')).toBe(testLogLevel() === 'DEBUG');
    expect(output).not.toContain('No workflows registered');
  });

  it('worker processes take their level from KLINGFLOW_LOG_LEVEL (default WARN)', () => {
    expect(logLevelFrom({})).toBe('WARN');
    expect(logLevelFrom({ KLINGFLOW_LOG_LEVEL: 'debug' })).toBe('DEBUG');
    expect(logLevelFrom({ KLINGFLOW_LOG_LEVEL: ' Warning ' })).toBe('WARN');
    expect(() => logLevelFrom({ KLINGFLOW_LOG_LEVEL: 'verbose' })).toThrow(
      'KLINGFLOW_LOG_LEVEL: "verbose" is not a log level (allowed: trace, debug, info, warn, error)',
    );
  });

  it('JSON lines default to INFO, and KLINGFLOW_LOG_LEVEL still decides when set', () => {
    expect(workerLogLevel({}, 'json')).toBe('INFO');
    expect(workerLogLevel({ KLINGFLOW_LOG_LEVEL: 'error' }, 'json')).toBe('ERROR');
    expect(workerLogLevel({}, 'text')).toBe('WARN');
  });
});
