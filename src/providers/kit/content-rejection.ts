import type { ProviderErrorKind } from '../../errors.js';
import type { TaskStatus } from '../provider.js';

/**
 * Providers report moderation in free text ("Content policy violation", "sensitive content",
 * Kling's "Failure to pass the risk control system"), and the Chinese services in Chinese
 * (内容审核未通过, 涉及敏感内容, 违规, 风控, 不合规). The words are matched, not whole messages,
 * because every provider phrases it differently and a missed match would fail over and pay a
 * second provider to refuse the same prompt.
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
  // Chinese: review/moderation (审核 未通过/不通过/失败), violations (违规, 违禁, 违法), sensitive
  // (敏感), risk control (风控), non-compliant (不合规), "involves porn/politics/violence/terror"
  // (涉黄, 涉政, 涉暴, 涉恐, 涉及… with one of those), unsafe/illegal content (不良信息, 违法).
  /(审核|审查)(未|不)通过|审核失败|审核拒绝|内容审核|安全审核|内容安全/,
  /违规|违禁|违法/,
  /敏感/,
  /风控/,
  /不合规|合规性/,
  /涉(黄|政|暴|恐|嫌违|及(违规|敏感|色情|政治|暴力|血腥|版权|侵权|未成年))/,
  /色情|暴力|血腥|不良信息|不当内容/,
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

/**
 * The TaskStatus for a task the provider reports as failed, with the reason it gave. A kind the
 * provider states in a machine-readable field (fal's error `type`) wins over the wording.
 */
export function failedTaskStatus(
  reason: string | undefined | null,
  statedKind?: ProviderErrorKind,
): TaskStatus {
  const text = reason?.trim() || 'the provider reported the task as failed without a reason';
  return { state: 'failed', reason: text, kind: statedKind ?? classifyTaskFailure(text) };
}
