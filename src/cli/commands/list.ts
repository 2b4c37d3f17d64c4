import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Command } from 'commander';
import { KlingflowClient } from '../../client/klingflow-client.js';
import { hasNoUnit, parseDuration } from '../../config/duration.js';
import { ValidationError } from '../../errors.js';
import { PROVIDER_IDS } from '../../request/unified-request.js';
import { readJobCosts } from '../job-costs.js';
import { jobTable, type ListedJob, listQuery, STATUSES, toListedJob } from '../job-list.js';
import { printJson, printText } from '../output.js';

interface ListFlags {
  status?: string;
  provider?: string;
  batch?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 50;

/**
 * `klingflow list`: jobs from Temporal visibility (the KlingStatus, KlingPhase, KlingProvider,
 * KlingModel and KlingBatchId search attributes), newest first.
 */
export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('list generations from Temporal visibility, newest first')
    .option('--status <status>', `only jobs in this status (${STATUSES.join(', ')})`)
    .option('--provider <provider>', 'only jobs on this provider')
    .option('--batch <id>', "only this batch's jobs")
    .option('--since <duration>', 'only jobs started within this duration (e.g. 30m, 24h)')
    .option('--limit <n>', `at most this many jobs (default ${DEFAULT_LIMIT})`)
    .option('--json', 'print JSON')
    .action(async (flags: ListFlags) => {
      const filters = parseFlags(flags);
      const client = await KlingflowClient.connect();
      try {
        const jobs = await listJobs(client.temporal, filters);
        if (flags.json) printJson({ jobs });
        else printText(jobTable(jobs, Date.now()));
      } finally {
        await client.close();
      }
    });
}

export interface ListFilters {
  status?: (typeof STATUSES)[number];
  provider?: string;
  batchId?: string;
  sinceMs?: number;
  limit: number;
}

/** Every bad flag at once, each named as typed, with its allowed values. */
export function parseFlags(flags: ListFlags): ListFilters {
  const issues = [];
  const filters: ListFilters = { limit: DEFAULT_LIMIT };
  if (flags.status !== undefined) {
    if ((STATUSES as readonly string[]).includes(flags.status)) {
      filters.status = flags.status as ListFilters['status'];
    } else
      issues.push({
        field: '--status',
        message: `${JSON.stringify(flags.status)} is not a job status`,
        allowed: STATUSES,
      });
  }
  if (flags.provider !== undefined) {
    if ((PROVIDER_IDS as readonly string[]).includes(flags.provider)) {
      filters.provider = flags.provider;
    } else
      issues.push({
        field: '--provider',
        message: `${JSON.stringify(flags.provider)} is not a provider`,
        allowed: PROVIDER_IDS,
      });
  }
  if (flags.batch !== undefined) filters.batchId = flags.batch;
  if (flags.since !== undefined) {
    // A bare number would be milliseconds: `--since 24` (hours, surely) would list nothing.
    const sinceMs = hasNoUnit(flags.since) ? undefined : parseDuration(flags.since);
    if (sinceMs !== undefined && sinceMs > 0) filters.sinceMs = sinceMs;
    else
      issues.push({
        field: '--since',
        message: `${JSON.stringify(flags.since)} is not a duration with its unit, such as 90s, 30m, 24h or 7d`,
      });
  }
  if (flags.limit !== undefined) {
    const limit = Number(flags.limit);
    if (Number.isInteger(limit) && limit > 0 && limit <= 1000) filters.limit = limit;
    else
      issues.push({
        field: '--limit',
        message: `${JSON.stringify(flags.limit)} is not a whole number from 1 to 1000`,
      });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return filters;
}

async function listJobs(client: Client, filters: ListFilters): Promise<ListedJob[]> {
  const query = listQuery(filters, new Date());
  const executions: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: filters.limit })) {
    executions.push(execution);
    if (executions.length >= filters.limit) break;
  }
  const costs = await readJobCosts(client, executions);
  return executions.map((execution) => toListedJob(execution, costs.get(execution.workflowId)));
}
