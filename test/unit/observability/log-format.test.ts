import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { formatLogLine, logFormat } from '../../../src/observability/log-format.js';

describe('log format', () => {
  it('reads KLINGFLOW_LOG_FORMAT, text by default, and refuses anything else', () => {
    expect(logFormat({})).toBe('text');
    expect(logFormat({ KLINGFLOW_LOG_FORMAT: 'JSON' })).toBe('json');
    expect(() => logFormat({ KLINGFLOW_LOG_FORMAT: 'yaml' })).toThrow(ValidationError);
  });

  it('writes one JSON object per line with known fields only', () => {
    const line = formatLogLine('json', {
      level: 'WARN',
      message: 'activity attempt failed',
      time: new Date('2026-01-01T00:00:00Z'),
      meta: {
        workflowId: 'job-1',
        provider: 'hyprlab',
        taskId: 't1',
        args: ['a prompt', 'sk-secret'],
        error: new Error('boom'),
      },
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trim()).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-01T00:00:00.000Z',
      level: 'WARN',
      message: 'activity attempt failed',
      workflowId: 'job-1',
      provider: 'hyprlab',
      taskId: 't1',
      error: { name: 'Error', message: 'boom' },
    });
  });
});
