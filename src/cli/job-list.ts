import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { BatchSpend } from '../contracts/batch.js';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerationPhase,
  type GenerationStatusName,
  reportedPhase,
} from '../contracts/generation.js';
import {
  KLING_BATCH_ID,
  KLING_MODEL,
  KLING_PHASE,
  KLING_PROVIDER,
  KLING_STATUS,
} from '../contracts/search-attributes.js';
import { formatSpend } from './spend-summary.js';

export const STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;

/** One row of `klingflow list` (and one element of its JSON `jobs`). */
export interface ListedJob {
  workflowId: string;
  status: GenerationStatusName | 'unknown';
  phase: string | null;
  provider: string | null;
  model: string | null;
  batchId: string | null;
  startedAt: string;
  /** USD spent so far (the job's ledger), when it could be read; see job-costs.ts. */
  costUsd: number | null;
  /**
   * The same ledger per price unit (`{ "credits": 5 }` for a provider priced in credits without
   * a KLINGFLOW_PRICE_RATES rate, whose USD total is 0); null when it could not be read.
   */
  costByUnit: BatchSpend['byUnit'] | null;
}

/**
 * A closed job's status comes from Temporal's own execution status, which is authoritative (a
 * terminated job never got to update KlingStatus); a running job's from KlingStatus. Filtering
 * uses the execution status for the same reason, so it also finds jobs from before KlingStatus.
 */
const EXECUTION_STATUSES: Record<(typeof STATUSES)[number], string[]> = {
  running: ['Running'],
  succeeded: ['Completed'],
  failed: ['Failed', 'Terminated', 'TimedOut'],
  cancelled: ['Canceled'],
};

const STATUS_BY_EXECUTION: Record<string, GenerationStatusName> = {
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  TERMINATED: 'failed',
  TIMED_OUT: 'failed',
  CANCELLED: 'cancelled',
};

/** The visibility query for the filters; generation jobs only (not the batch workflows). */
export function listQuery(
  filters: {
    status?: keyof typeof EXECUTION_STATUSES;
    provider?: string;
    batchId?: string;
    sinceMs?: number;
  },
  now: Date,
): string {
  const clauses = [`WorkflowType = ${quote(GENERATE_VIDEO_WORKFLOW)}`];
  if (filters.status) {
    const names = EXECUTION_STATUSES[filters.status].map(quote).join(', ');
    clauses.push(`ExecutionStatus IN (${names})`);
  }
  if (filters.provider) clauses.push(`${KLING_PROVIDER.name} = ${quote(filters.provider)}`);
  if (filters.batchId) clauses.push(`${KLING_BATCH_ID.name} = ${quote(filters.batchId)}`);
  if (filters.sinceMs !== undefined) {
    clauses.push(`StartTime >= ${quote(new Date(now.getTime() - filters.sinceMs).toISOString())}`);
  }
  // No ORDER BY: SQL visibility (the dev server, PostgreSQL) refuses it; newest first is its
  // default order anyway.
  return clauses.join(' AND ');
}

/** A string literal of the visibility query language; a batch id is user text. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function toListedJob(execution: WorkflowExecutionInfo, spend?: BatchSpend): ListedJob {
  const attributes = execution.typedSearchAttributes;
  const running = execution.status.name === 'RUNNING';
  const published = attributes.get(KLING_PHASE) as GenerationPhase | undefined;
  const status = running
    ? ((attributes.get(KLING_STATUS) as GenerationStatusName | undefined) ?? 'running')
    : (STATUS_BY_EXECUTION[execution.status.name] ?? 'unknown');
  return {
    workflowId: execution.workflowId,
    status,
    // A job that succeeded on `job-v5` keeps its last running phase: Completed means done.
    phase:
      execution.status.name === 'COMPLETED'
        ? 'done'
        : ((published && reportedPhase(published)) ?? (running ? null : 'done')),
    provider: attributes.get(KLING_PROVIDER) ?? null,
    model: attributes.get(KLING_MODEL) ?? null,
    batchId: attributes.get(KLING_BATCH_ID) ?? null,
    startedAt: execution.startTime.toISOString(),
    costUsd: spend?.usd ?? null,
    costByUnit: spend?.byUnit ?? null,
  };
}

const COLUMNS = ['ID', 'STATUS', 'PHASE', 'PROVIDER', 'MODEL', 'AGE', 'COST'] as const;

/** The human table; `-` marks a value visibility does not have. */
export function jobTable(jobs: readonly ListedJob[], now: number): string {
  if (jobs.length === 0) return 'no jobs found';
  const rows = jobs.map((job) => [
    job.workflowId,
    job.status,
    job.phase ?? '-',
    job.provider ?? '-',
    job.model ?? '-',
    formatAge(now - Date.parse(job.startedAt)),
    job.costUsd === null ? '-' : formatSpend({ usd: job.costUsd, byUnit: job.costByUnit ?? {} }),
  ]);
  const all = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  return all
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
