import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  acquireSlotSignal,
  releaseSlotSignal,
  type SlotRequest,
  slotGrantedSignal,
  slotsQuery,
} from '../contracts/messages.js';

export interface ProviderSlotsInput {
  provider: string;
  limit: number;
  holders?: Holder[];
  waiting?: SlotRequest[];
}

interface Holder {
  requester: string;
  attempt: number;
  expiresAt: number;
}

/**
 * Keeps a provider's in-flight limit across every worker (Kling's concurrency limit is per
 * account): one long-lived workflow per provider hands out slots in request order, takes them
 * back on release, and reclaims a slot whose lease ran out (its holder crashed or was terminated).
 * It continues as new before its history grows large, carrying holders and the queue.
 */
export async function providerSlots(input: ProviderSlotsInput): Promise<void> {
  let limit = input.limit;
  const holders: Holder[] = [...(input.holders ?? [])];
  const waiting: SlotRequest[] = [...(input.waiting ?? [])];
  const key = (entry: { requester: string; attempt: number }) =>
    `${entry.requester}#${entry.attempt}`;

  setHandler(slotsQuery, () => ({ limit, holders: holders.map(key), waiting: waiting.map(key) }));
  setHandler(acquireSlotSignal, (request) => {
    limit = request.limit;
    const already =
      holders.some((holder) => key(holder) === key(request)) ||
      waiting.some((entry) => key(entry) === key(request));
    if (!already) waiting.push(request);
  });
  setHandler(releaseSlotSignal, (release) => {
    removeWhere(holders, (holder) => key(holder) === key(release));
    removeWhere(waiting, (entry) => key(entry) === key(release));
  });

  for (;;) {
    removeWhere(holders, (holder) => holder.expiresAt <= Date.now());
    while (holders.length < limit && waiting.length > 0) {
      const next = waiting.shift()!;
      holders.push({
        requester: next.requester,
        attempt: next.attempt,
        expiresAt: Date.now() + next.leaseMs,
      });
      try {
        await getExternalWorkflowHandle(next.requester).signal(slotGrantedSignal, {
          attempt: next.attempt,
        });
      } catch {
        // The requester has already finished: its slot goes straight back.
        removeWhere(holders, (holder) => key(holder) === key(next));
      }
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await continueAsNew<typeof providerSlots>({
        provider: input.provider,
        limit,
        holders,
        waiting,
      });
    }
    const nextExpiry = Math.min(...holders.map((holder) => holder.expiresAt));
    const wait = Number.isFinite(nextExpiry) ? Math.max(1, nextExpiry - Date.now()) : undefined;
    const snapshot = `${holders.map(key).join(',')}|${waiting.map(key).join(',')}|${limit}`;
    const changed = () =>
      `${holders.map(key).join(',')}|${waiting.map(key).join(',')}|${limit}` !== snapshot;
    if (wait === undefined) await condition(changed);
    else await condition(changed, wait);
  }
}

function removeWhere<T>(list: T[], predicate: (item: T) => boolean): void {
  for (let index = list.length - 1; index >= 0; index--)
    if (predicate(list[index]!)) list.splice(index, 1);
}
