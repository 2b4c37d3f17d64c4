import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchStatus } from './batch.js';
import type { GenerationStatus } from './generation.js';

/** Read-only progress of a generation: the contract's JSON plus polls and elapsed time. */
export const statusQuery = defineQuery<GenerationStatus>('status');

/**
 * A provider called back about a task. Carries no result: the workflow confirms with one status
 * call, so a forged, duplicated or late callback can at most cause one extra poll.
 */
export const providerCallbackSignal = defineSignal<[{ attempt: number }]>('providerCallback');

/** A generation asks its provider's slot keeper for one of the provider's in-flight slots. */
export interface SlotRequest {
  requester: string;
  attempt: number;
  /** The provider's current limit (taken from the latest request, so config changes apply). */
  limit: number;
  /** The slot is reclaimed after this long if never released (the holder crashed or was terminated). */
  leaseMs: number;
}

export const acquireSlotSignal = defineSignal<[SlotRequest]>('acquireSlot');
export const releaseSlotSignal =
  defineSignal<[{ requester: string; attempt: number }]>('releaseSlot');
/** Sent by the slot keeper to a waiting generation when its slot is granted. */
export const slotGrantedSignal = defineSignal<[{ attempt: number }]>('slotGranted');
export const slotsQuery = defineQuery<{ limit: number; holders: string[]; waiting: string[] }>(
  'slots',
);

/** A batch's progress: counts, estimated spend, and the items one by one when the batch is small. */
export const batchStatusQuery = defineQuery<BatchStatus>('batchStatus');
