import { ProviderError } from '../../errors.js';
import type { TaskStatus } from '../provider.js';

/**
 * The provider's documented "no such task" answer, marked `notFound`: for a task it accepted,
 * the poll checks again rather than failing over (check-task.ts). Only the provider's own
 * not-found envelope leads here; a bare 404 from something in front of it is transient
 * (provider-answer.ts).
 */
export function taskNotFound(displayName: string, taskId: string, evidence: string): TaskStatus {
  return {
    state: 'failed',
    reason: `${displayName} no longer knows task ${taskId} (${evidence})`,
    kind: 'provider-unavailable',
    notFound: true,
  };
}

/**
 * "Succeeded" without a video URL we can read is not a failure the provider reported: the
 * task may still deliver (or the next answer may be readable), so the job keeps checking it
 * rather than paying another provider.
 */
export function succeededWithoutVideo(provider: string, taskId: string, where: string): never {
  throw new ProviderError(
    'transient',
    provider,
    `task ${taskId} is reported done but has no readable video URL in ${where}; checking again`,
  );
}
