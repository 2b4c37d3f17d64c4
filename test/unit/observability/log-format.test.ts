import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import {
  formatLogLine,
  logFormat,
  logProcessWarnings,
} from '../../../src/observability/log-format.js';

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

describe('logProcessWarnings (KLINGFLOW_LOG_FORMAT=json)', () => {
  it("replaces Node's free-text warning printer with a JSON line per warning", () => {
    const target = new EventEmitter() as unknown as NodeJS.Process;
    const printed: string[] = [];
    // Node's default printer, the listener it installs at start.
    target.on('warning', (warning: Error) => printed.push(`(node) Warning: ${warning.message}`));
    const notes: [string, string][] = [];
    logProcessWarnings((message, level) => notes.push([message, level]), target);

    const warning = new Error('The AWS SDK for JavaScript (v3)\nversions published after …');
    warning.name = 'NodeVersionSupportWarning';
    target.emit('warning', warning);

    expect(printed).toEqual([]);
    expect(notes).toEqual([
      [
        'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after …',
        'WARN',
      ],
    ]);
    // One JSON object per line: the newline stays inside the string.
    const line = formatLogLine('json', { level: 'WARN', message: notes[0]![0], time: new Date(0) });
    expect(line.trimEnd().split('\n')).toHaveLength(1);
  });
});
