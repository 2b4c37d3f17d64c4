import { Client, type Connection, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { readSettings } from '../config/environment.js';
import { configuredProviderIds } from '../config/provider-variables.js';
import {
  BATCH_GENERATE_WORKFLOW,
  BATCH_ITEM_ID_SCHEME,
  type BatchInput,
  type BatchItemIdScheme,
  type BatchResult,
  type BatchStatus,
  batchWorkflowId,
} from '../contracts/batch.js';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
  reportedPhase,
} from '../contracts/generation.js';
import { batchStatusQuery, statusQuery } from '../contracts/messages.js';
import { initialJobSearchAttributes, KLING_BATCH_ID } from '../contracts/search-attributes.js';
import { ValidationError } from '../errors.js';
import { checkRequestAgainstProviders } from '../providers/catalog.js';
import type { ProviderId } from '../request/unified-request.js';
import { presignVideos } from '../storage/presign-videos.js';
import { createVideoStorage } from '../storage/storage-factory.js';
import { videoStorageKey } from '../storage/storage-key.js';
import type { VideoStorage } from '../storage/video-storage.js';
import {
  connectClient,
  resolveTemporalTarget,
  type TemporalTarget,
} from '../temporal/connection.js';
import {
  type BatchEntry,
  type BatchOptions,
  createBatchInput,
  validateBatchEntries,
} from './batch-file.js';
import { checkBatchRerun } from './batch-rerun-check.js';
import { batchStatusFromResult, minimalBatchStatus } from './batch-status.js';
import { closedStatus, errorMessage, failureDetails } from './closed-status.js';
import { type GenerationRequest, prepareRequest } from './prepare-request.js';
import { checkSameRequest, type KeptSetting } from './request-fingerprint.js';
import { requireId } from './required-id.js';
import { runningStatus } from './running-status.js';
import { type StartGenerationOptions, validateStartOptions } from './start-options.js';
import { answerIfPolled, unansweredStatus } from './unanswered-status.js';
import { readWorkflowInput } from './workflow-input.js';

export interface KlingflowClientOptions {
  connection: Connection;
  namespace?: string;
  taskQueue?: string;
  /** Where local images are stored as blobs; must be the storage the workers read. */
  storage?: VideoStorage;
  /** Providers the workers have keys for, used to reject a request no one can serve. */
  availableProviders?: ProviderId[];
}

/**
 * The typed client: start a generation, read its status, wait for it with progress, cancel it.
 * Requests are validated here, before anything reaches a workflow or a paid provider.
 */
export class KlingflowClient {
  readonly temporal: Client;
  private readonly taskQueue: string;
  private readonly storage: VideoStorage;
  private readonly availableProviders: ProviderId[] | undefined;

  constructor(options: KlingflowClientOptions) {
    const settings = readSettings();
    this.temporal = new Client({
      connection: options.connection,
      namespace: options.namespace ?? 'default',
    });
    this.taskQueue = options.taskQueue ?? settings.taskQueue;
    this.storage = options.storage ?? createVideoStorage(settings);
    this.availableProviders = options.availableProviders;
  }

  /** Connects using TEMPORAL_* variables (via @temporalio/envconfig) and KLINGFLOW_* settings. */
  static async connect(
    options: {
      target?: TemporalTarget;
      environment?: NodeJS.ProcessEnv;
      availableProviders?: ProviderId[];
    } = {},
  ): Promise<KlingflowClient> {
    const environment = options.environment ?? process.env;
    const target = options.target ?? resolveTemporalTarget(environment);
    const connection = await connectClient(target);
    const configured = configuredProviderIds(environment);
    return new KlingflowClient({
      connection,
      namespace: target.namespace,
      availableProviders:
        options.availableProviders ?? (configured.length > 0 ? configured : undefined),
    });
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /** Validates, stores local images, starts the job (or attaches to the same request's job). */
  async startGeneration(
    request: GenerationRequest,
    options: StartGenerationOptions = {},
  ): Promise<{
    workflowId: string;
    attached: boolean;
    /** Attached: the settings this start gave differently, which the running job keeps as started. */
    kept?: KeptSetting[];
  }> {
    const { failoverStuckAfterMs } = validateStartOptions(options);
    const prepared = await prepareRequest(request, this.storage);
    const candidates = options.providers ?? this.availableProviders;
    const check = checkRequestAgainstProviders(prepared, candidates);
    if (check.servable.length === 0) throw new ValidationError(check.issues);
    const workflowId =
      options.workflowId ??
      `kf-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const input: GenerateVideoInput = {
      request: prepared,
      ...(options.providers ? { providers: options.providers } : {}),
      ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : {}),
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.attemptDeadlineMs !== undefined
        ? { attemptDeadlineMs: options.attemptDeadlineMs }
        : {}),
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      ...(failoverStuckAfterMs !== undefined ? { failoverStuckAfterMs } : {}),
      ...(options.notifyUrl !== undefined ? { notifyUrl: options.notifyUrl } : {}),
      ...(options.notifyRetryIntervalMs !== undefined
        ? { notifyRetryIntervalMs: options.notifyRetryIntervalMs }
        : {}),
    };
    if (options.workflowId !== undefined) await this.refuseTakenVideoKey(workflowId);
    try {
      await this.temporal.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        // A closed job's id is not reused either: the id names one request's job and its video.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: initialJobSearchAttributes(input.request.model),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const { kept } = await checkSameRequest(this.temporal, workflowId, input);
      return { workflowId, attached: true, ...(kept.length > 0 ? { kept } : {}) };
    }
    return { workflowId, attached: false };
  }

  /**
   * A chosen id whose video is already in this client's storage while Temporal has no job by
   * that id (past retention, another server, a deleted dev database): starting would pay and
   * then find the place taken. Refused before anything starts; the worker checks again, since
   * its storage is the one that counts. A job that exists goes on to attach or be refused.
   */
  private async refuseTakenVideoKey(workflowId: string): Promise<void> {
    const path = await this.storage
      .storedVideoPath(videoStorageKey(workflowId))
      .catch(() => undefined);
    if (path === undefined || (await this.describeIfExists(workflowId))) return;
    throw new ValidationError([
      {
        field: 'workflowId',
        message: `${workflowId} already has a stored video (${path}) from a job Temporal no longer has; nothing was submitted: choose another id, or move that video away to generate it again`,
      },
    ]);
  }

  /** The contract's status JSON, for running and finished jobs alike. */
  async getStatus(workflowId: string): Promise<GenerationStatus> {
    const status = await this.readStatus(workflowId);
    return { ...status, phase: reportedPhase(status.phase) };
  }

  private async readStatus(workflowId: string): Promise<GenerationStatus> {
    const handle = this.temporal.workflow.getHandle(requireId(workflowId, 'workflowId'));
    const description = await handle.describe();
    switch (description.status.name) {
      case 'RUNNING': {
        const reply = await answerIfPolled(this.temporal, description.taskQueue, () =>
          handle.query(statusQuery),
        );
        if ('waiting' in reply) {
          const input = await readWorkflowInput<GenerateVideoInput>(this.temporal, workflowId);
          return unansweredStatus(description, input, reply.waiting, Date.now());
        }
        return runningStatus(reply.answer, description.raw.pendingActivities ?? [], Date.now());
      }
      case 'COMPLETED':
        return (await handle.result()) as GenerationStatus;
      case 'FAILED': {
        try {
          await handle.result();
        } catch (error) {
          const details = failureDetails(error);
          if (details) return details;
          return closedStatus(this.temporal, workflowId, 'failed', errorMessage(error));
        }
        return closedStatus(this.temporal, workflowId, 'failed', 'failed');
      }
      case 'CANCELLED':
        return closedStatus(this.temporal, workflowId, 'cancelled', 'cancelled');
      default:
        return closedStatus(
          this.temporal,
          workflowId,
          'failed',
          `workflow ${description.status.name.toLowerCase()}`,
        );
    }
  }

  /** Waits until the job ends, calling `onProgress` with each new status. */
  async waitForResult(
    workflowId: string,
    options: { onProgress?: (status: GenerationStatus) => void; intervalMs?: number } = {},
  ): Promise<GenerationStatus> {
    const handle = this.temporal.workflow.getHandle(requireId(workflowId, 'workflowId'));
    const finished = handle.result().then(
      () => undefined,
      () => undefined,
    );
    let done = false;
    void finished.then(() => {
      done = true;
    });
    while (!done) {
      if (options.onProgress) {
        try {
          options.onProgress(await this.getStatus(workflowId));
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) throw error;
        }
      }
      await Promise.race([
        finished,
        new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000)),
      ]);
    }
    const status = await this.getStatus(workflowId);
    options.onProgress?.(status);
    return status;
  }

  /**
   * Validates every item (all problems in one ValidationError, nothing started), stores local
   * images, and starts the batch as workflow `batch-<batchId>`. If that batch is still running,
   * this attaches to it instead of starting a second one (`attached: true`); if it finished, a
   * new run re-uses every item's earlier job, so nothing finished or running is submitted again.
   */
  async startBatch(
    entries: readonly BatchEntry[],
    options: BatchOptions = {},
  ): Promise<{
    batchId: string;
    workflowId: string;
    attached: boolean;
    /** A new run of a batch that ran before: its items' earlier jobs are followed, not re-sent. */
    rerun: boolean;
    total: number;
    itemIdScheme?: BatchItemIdScheme;
  }> {
    const items = await validateBatchEntries(entries, {
      storage: this.storage,
      ...(this.availableProviders ? { availableProviders: this.availableProviders } : {}),
    });
    const input = createBatchInput(items, options);
    const workflowId = batchWorkflowId(input.batchId);
    const attached = await this.isRunning(workflowId);
    // A batch first started with the old item ids keeps them, so its re-runs find their items.
    const earlier = await readWorkflowInput<BatchInput>(this.temporal, workflowId);
    if (!earlier || earlier.itemIdScheme) input.itemIdScheme = BATCH_ITEM_ID_SCHEME;
    await checkBatchRerun(this.temporal, input, earlier);
    await this.temporal.workflow.start(BATCH_GENERATE_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: KLING_BATCH_ID, value: input.batchId }],
    });
    return {
      batchId: input.batchId,
      workflowId,
      attached,
      rerun: !attached && earlier !== undefined,
      total: items.length,
      ...(input.itemIdScheme ? { itemIdScheme: input.itemIdScheme } : {}),
    };
  }

  /** A batch's progress (running) or its final counts (finished). */
  async getBatchStatus(batchId: string): Promise<BatchStatus> {
    const handle = this.temporal.workflow.getHandle(batchWorkflowId(requireId(batchId, 'batchId')));
    const description = await handle.describe();
    switch (description.status.name) {
      case 'RUNNING': {
        const reply = await answerIfPolled(this.temporal, description.taskQueue, () =>
          handle.query(batchStatusQuery),
        );
        if ('answer' in reply) return reply.answer;
        const input = await readWorkflowInput<BatchInput>(this.temporal, description.workflowId);
        const items = input?.items.length ?? 0;
        return {
          ...minimalBatchStatus({
            batchId,
            workflowId: description.workflowId,
            state: 'running',
            startedAt: description.startTime.toISOString(),
          }),
          total: items,
          pending: items,
          waitingForWorker: reply.waiting,
          spendUnknown: true,
        };
      }
      case 'COMPLETED':
        return batchStatusFromResult((await handle.result()) as BatchResult);
      default: {
        const state = description.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
        const error = await handle.result().then(
          () => description.status.name.toLowerCase(),
          (failure: unknown) => errorMessage(failure),
        );
        try {
          return { ...(await handle.query(batchStatusQuery)), state, error };
        } catch {
          return {
            ...minimalBatchStatus({
              batchId,
              workflowId: description.workflowId,
              state,
              startedAt: description.startTime.toISOString(),
              error,
            }),
            spendUnknown: true,
          };
        }
      }
    }
  }

  /**
   * Waits until the batch has finished (following its continue-as-new runs), calling
   * `onProgress` with each status. Rejects with the workflow's failure if the batch was
   * cancelled or failed.
   */
  async waitForBatch(
    batchId: string,
    options: { onProgress?: (status: BatchStatus) => void; intervalMs?: number } = {},
  ): Promise<BatchResult> {
    const handle = this.temporal.workflow.getHandle(batchWorkflowId(requireId(batchId, 'batchId')));
    let outcome: { result: BatchResult } | { error: unknown } | undefined;
    const finished = handle.result().then(
      (result: BatchResult) => {
        outcome = { result };
      },
      (error: unknown) => {
        outcome = { error };
      },
    );
    while (!outcome) {
      if (options.onProgress) {
        try {
          const status = await this.getBatchStatus(batchId);
          if (!outcome) options.onProgress(status);
        } catch (error) {
          // A query can miss while the batch continues as new; only a missing batch is fatal.
          if (error instanceof WorkflowNotFoundError) throw error;
        }
      }
      await Promise.race([
        finished,
        new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000)),
      ]);
    }
    if ('error' in outcome) throw outcome.error;
    options.onProgress?.(batchStatusFromResult(outcome.result));
    return outcome.result;
  }

  private async isRunning(workflowId: string): Promise<boolean> {
    return (await this.describeIfExists(workflowId))?.status.name === 'RUNNING';
  }

  /** The workflow's description, or undefined when Temporal has no workflow by that id. */
  private async describeIfExists(workflowId: string) {
    try {
      return await this.temporal.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** The status with a presigned GET `url` on each S3-stored video (`--presign`). */
  presignVideos(status: GenerationStatus, expiresInSeconds: number) {
    return presignVideos(status, this.storage, expiresInSeconds);
  }

  async cancel(workflowId: string): Promise<void> {
    await this.temporal.workflow.getHandle(requireId(workflowId, 'workflowId')).cancel();
  }
}

export { batchStatusFromResult } from './batch-status.js';
export {
  type StartGenerationOptions,
  validateGenerationRequest,
  validateStartOptions,
} from './start-options.js';
