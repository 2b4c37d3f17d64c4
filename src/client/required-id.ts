import { ValidationError } from '../errors.js';

/**
 * An id to look a job or batch up by. Temporal answers an empty one with a bare "Failed to
 * describe workflow"; it is nearly always a shell variable that was never set.
 */
export function requireId(id: string, field: 'workflowId' | 'batchId'): string {
  if (id.trim() === '') {
    throw new ValidationError([
      {
        field,
        message: `is empty: give the id that generate or batch printed (an unset shell variable gives an empty one)`,
      },
    ]);
  }
  return id;
}
