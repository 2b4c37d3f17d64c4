import { describe, expect, it } from 'vitest';
import type { GenerationStatus } from '../../../src/contracts/generation.js';
import { bareReport, reportJob } from '../../../src/observability/job-report.js';

function status(overrides: Partial<GenerationStatus>): GenerationStatus {
  return {
    workflowId: 'job-1',
    status: 'succeeded',
    phase: 'done',
    model: 'kling-v1.6',
    mode: 'std',
    videos: [],
    attempts: [],
    polls: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedMs: 0,
    warnings: [],
    spend: { usd: 0, byUnit: {}, tasks: [] },
    ...overrides,
  } as GenerationStatus;
}

describe('reportJob', () => {
  it('counts a failover per move to the next tried provider, skipping skipped ones', () => {
    const report = reportJob(
      status({
        provider: 'kling',
        attempts: [
          { provider: 'apiframe', outcome: 'skipped', errorKind: 'over-budget' },
          { provider: 'hyprlab', outcome: 'failed', errorKind: 'provider-unavailable' },
          { provider: 'apimodels', outcome: 'failed', errorKind: 'transient' as never },
          { provider: 'kling', outcome: 'succeeded' },
        ],
      }),
      'succeeded',
    );
    expect(report).toMatchObject({ provider: 'kling', model: 'kling-v1.6', outcome: 'succeeded' });
    expect(report.failovers).toEqual([
      { from: 'hyprlab', to: 'apimodels', reason: 'provider-unavailable' },
      { from: 'apimodels', to: 'kling', reason: 'transient' },
    ]);
  });

  it('takes spend from the ledger when the workflow keeps one', () => {
    const report = reportJob(
      status({
        spend: {
          usd: 0.5,
          byUnit: {},
          tasks: [
            {
              provider: 'hyprlab',
              taskId: 't1',
              attempt: 1,
              estimatedCost: { amount: 0.2, unit: 'USD' },
              outcome: 'failed-at-provider',
            },
            {
              provider: 'kling',
              attempt: 2,
              estimatedCost: { amount: 10, unit: 'credits' as never },
              outcome: 'ambiguous',
            },
          ],
        },
        // Ignored while a ledger exists.
        attempts: [
          {
            provider: 'hyprlab',
            outcome: 'failed',
            providerTaskId: 't1',
            estimatedCost: { amount: 99, unit: 'USD' },
          },
        ],
      }),
      'failed',
    );
    expect(report.spend).toEqual([
      { provider: 'hyprlab', unit: 'USD', amount: 0.2 },
      { provider: 'kling', unit: 'credits', amount: 10 },
    ]);
  });

  it('falls back to accepted attempts for workflow code without a ledger', () => {
    const report = reportJob(
      status({
        spend: undefined as never,
        attempts: [
          { provider: 'hyprlab', outcome: 'failed', estimatedCost: { amount: 0.2, unit: 'USD' } },
          {
            provider: 'kling',
            outcome: 'succeeded',
            providerTaskId: 'k1',
            estimatedCost: { amount: 0.3, unit: 'USD' },
          },
        ],
      }),
      'succeeded',
    );
    expect(report.spend).toEqual([{ provider: 'kling', unit: 'USD', amount: 0.3 }]);
  });

  it('reports a job with no final status by what was seen of it', () => {
    expect(
      bareReport({ model: 'kling-v2.6' }, 'cancelled', 'hyprlab', [
        { provider: 'hyprlab', unit: 'USD', amount: 0.2 },
      ]),
    ).toEqual({
      model: 'kling-v2.6',
      mode: '',
      provider: 'hyprlab',
      outcome: 'cancelled',
      failovers: [],
      spend: [{ provider: 'hyprlab', unit: 'USD', amount: 0.2 }],
    });
    expect(bareReport(undefined, 'failed', undefined, []).provider).toBe('none');
  });
});
