import {
  defineSearchAttributeKey,
  type SearchAttributePair,
  SearchAttributeType,
} from '@temporalio/common';

/** Typed search attributes: find jobs by provider, model, phase or batch in the UI and the CLI. */
export const KLING_PROVIDER = defineSearchAttributeKey(
  'KlingProvider',
  SearchAttributeType.KEYWORD,
);
export const KLING_MODEL = defineSearchAttributeKey('KlingModel', SearchAttributeType.KEYWORD);
export const KLING_PHASE = defineSearchAttributeKey('KlingPhase', SearchAttributeType.KEYWORD);
/**
 * `running` while the job runs; `failed` or `cancelled` when it ends so. A job that succeeded
 * keeps `running` (one billable update less): a closed job's outcome is its ExecutionStatus.
 */
export const KLING_STATUS = defineSearchAttributeKey('KlingStatus', SearchAttributeType.KEYWORD);
export const KLING_BATCH_ID = defineSearchAttributeKey('KlingBatchId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  KLING_PROVIDER,
  KLING_MODEL,
  KLING_PHASE,
  KLING_STATUS,
  KLING_BATCH_ID,
];

/**
 * What a job's starter sets with the start (free), so the job's first search-attribute update
 * (a billable action) is not needed: a job started with `KlingStatus` skips it.
 */
export function initialJobSearchAttributes(model: string): SearchAttributePair[] {
  return [
    { key: KLING_MODEL, value: model },
    { key: KLING_PHASE, value: 'planning' },
    { key: KLING_STATUS, value: 'running' },
  ];
}
