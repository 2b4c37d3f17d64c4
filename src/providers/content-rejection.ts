import type { ProviderErrorKind } from '../errors.js';
import type { TaskStatus } from './provider.js';

/**
 * Providers report moderation in free text ("Content policy violation", "sensitive content",
 * Kling's "risk control"). The words are matched, not whole messages, because every provider
 * phrases it differently and a missed match would fail over and pay a second provider to
 * refuse the same prompt.
 */
const CONTENT_REJECTION_PATTERNS: readonly RegExp[] = [
  /moderat/i,
  /\bcontent[\s_-]*(policy|security|safety|filter|violation|review|risk|check|moderation)/i,
  /\bpolic(y|ies)\b.*\bviolat/i,
  /\bviolat\w*\b.*\bpolic(y|ies)\b/i,
  /\bsensitive\b/i,
  /\bnsfw\b/i,
  /\binappropriate\b/i,
  /\bunsafe\b/i,
  /\brisk[\s_-]*control\b/i,
  /\bprohibited\b/i,
];

/** True when a provider's failure message says the prompt or an image was refused as content. */
export function isContentRejection(message: string | undefined | null): boolean {
  if (!message) return false;
  return CONTENT_REJECTION_PATTERNS.some((pattern) => pattern.test(message));
}

/**
 * How a task that ended `failed` at the provider is handled: refused content is permanent (the
 * next provider would refuse it too); any other render failure is the provider's problem, so
 * the job fails over.
 */
export function classifyTaskFailure(message: string | undefined | null): ProviderErrorKind {
  return isContentRejection(message) ? 'content-rejected' : 'provider-unavailable';
}

/** The TaskStatus for a task the provider reports as failed, with the reason it gave. */
export function failedTaskStatus(reason: string | undefined | null): TaskStatus {
  const text = reason?.trim() || 'the provider reported the task as failed without a reason';
  return { state: 'failed', reason: text, kind: classifyTaskFailure(text) };
}
