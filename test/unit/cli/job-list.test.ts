import type { WorkflowExecutionInfo } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../../src/cli/commands/list.js';
import { formatAge, jobTable, listQuery, toListedJob } from '../../../src/cli/job-list.js';
import {
  KLING_MODEL,
  KLING_PHASE,
  KLING_PROVIDER,
  KLING_STATUS,
} from '../../../src/contracts/search-attributes.js';
import { ValidationError } from '../../../src/errors.js';

function execution(
  name: WorkflowExecutionInfo['status']['name'],
  attributes: ConstructorParameters<typeof TypedSearchAttributes>[0] = [],
): WorkflowExecutionInfo {
  return {
    workflowId: 'job-1',
    status: { name },
    startTime: new Date('2026-01-01T00:00:00Z'),
    typedSearchAttributes: new TypedSearchAttributes(attributes),
  } as WorkflowExecutionInfo;
}

describe('klingflow list', () => {
  it('refuses a bad status naming --status and the allowed values', () => {
    const failure = (() => {
      try {
        return parseFlags({ status: 'done', since: 'yesterday', provider: 'runway' });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(ValidationError);
    const issues = (failure as ValidationError).issues;
    expect(issues.map((issue) => issue.field)).toEqual(['--status', '--provider', '--since']);
    expect(issues[0]?.allowed).toEqual(['running', 'succeeded', 'failed', 'cancelled']);
    expect(issues.map((issue) => issue.message)).toEqual([
      '"done" is not a job status',
      '"runway" is not a provider',
      '"yesterday" is not a duration with its unit, such as 90s, 30m, 24h or 7d',
    ]);
  });

  it('takes --since with its unit only: a bare 24 would be milliseconds and list nothing', () => {
    expect(parseFlags({ since: '7d' }).sinceMs).toBe(604_800_000);
    expect(() => parseFlags({ since: '24' })).toThrow('"24" is not a duration with its unit');
  });

  it('builds one visibility query from the filters, quoting user text', () => {
    const query = listQuery(
      { status: 'failed', provider: 'kling', batchId: "it's", sinceMs: 3_600_000 },
      new Date('2026-01-01T01:00:00Z'),
    );
    expect(query).toBe(
      "WorkflowType = 'generateVideo' AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut') AND KlingProvider = 'kling' AND KlingBatchId = 'it\\'s' AND StartTime >= '2026-01-01T00:00:00.000Z'",
    );
  });

  it('takes a closed job status from Temporal and a running one from KlingStatus', () => {
    expect(
      toListedJob(
        execution('RUNNING', [
          { key: KLING_STATUS, value: 'running' },
          { key: KLING_PHASE, value: 'waiting' },
          { key: KLING_PROVIDER, value: 'kling' },
          { key: KLING_MODEL, value: 'kling-v1.6' },
        ]),
      ),
    ).toMatchObject({ status: 'running', phase: 'waiting', provider: 'kling', costUsd: null });
    expect(
      toListedJob(execution('TERMINATED', [{ key: KLING_STATUS, value: 'running' }]), {
        usd: 0.28,
        byUnit: { USD: 0.28 },
      }),
    ).toMatchObject({
      status: 'failed',
      phase: 'done',
      provider: null,
      costUsd: 0.28,
      costByUnit: { USD: 0.28 },
    });
    // A job that succeeded on job-v5 keeps its last running attributes: Completed wins.
    expect(
      toListedJob(
        execution('COMPLETED', [
          { key: KLING_STATUS, value: 'running' },
          { key: KLING_PHASE, value: 'waiting' },
        ]),
      ),
    ).toMatchObject({ status: 'succeeded', phase: 'done' });
    expect(
      toListedJob(execution('FAILED', [{ key: KLING_PHASE, value: 'submitting' }])),
    ).toMatchObject({ status: 'failed', phase: 'submitting' });
  });

  it('prints an aligned table with ages and costs', () => {
    const jobs = [
      toListedJob(execution('COMPLETED', [{ key: KLING_PROVIDER, value: 'hyprlab' }]), {
        usd: 0.5,
        byUnit: { USD: 0.5 },
      }),
      // Priced in credits with no KLINGFLOW_PRICE_RATES rate: $0.00 alone would hide the cost.
      toListedJob(execution('COMPLETED', [{ key: KLING_PROVIDER, value: 'apiframe' }]), {
        usd: 0,
        byUnit: { credits: 5 },
      }),
    ];
    const table = jobTable(jobs, Date.parse('2026-01-01T00:03:00Z')).split('\n');
    expect(table[0]).toMatch(/^ID\s+STATUS\s+PHASE\s+PROVIDER\s+MODEL\s+AGE\s+COST$/);
    expect(table[1]).toMatch(/^job-1\s+succeeded\s+done\s+hyprlab\s+-\s+3m\s+\$0\.50$/);
    expect(table[2]).toMatch(
      /^job-1\s+succeeded\s+done\s+apiframe\s+-\s+3m\s+\$0\.00 \(5 credits\)$/,
    );
    expect(jobTable([], 0)).toBe('no jobs found');
    expect(formatAge(3 * 86_400_000)).toBe('3d');
  });
});
