import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GenerationStatus } from './generation-types.js';

/** Read-only progress of a generation: the contract's JSON plus polls and elapsed time. */
export const statusQuery = defineQuery<GenerationStatus>('status');

/**
 * A provider called back about a task. Carries no result: the workflow confirms with one status
 * call, so a forged, duplicated or late callback can at most cause one extra poll.
 */
export const providerCallbackSignal = defineSignal<[{ attempt: number }]>('providerCallback');
