import type { ValidationIssue } from '../errors.js';
import type { Shot, UnifiedRequest } from '../request/unified-request.js';

/**
 * The official API's multi-shot fields, as its kling-v3 text2video and image2video docs give them
 * (no seed shows them; the official field list as mirrored by resellers that forward the body
 * unchanged, e.g. docs.powertokens.ai "kling-v3 text2video", mulerouter.ai "Kling V3.0"):
 * `multi_shot: true`, `shot_type: "customize"` and
 * `multi_prompt: [{index: int, prompt: string, duration: "5"}]`, 1–6 shots, each prompt at most
 * 512 characters, each shot at least 1 s, the shots adding up to the task's `duration`. With
 * `multi_shot` the top-level `prompt` is ignored and start+end frame generation is not supported.
 * apimodels.app forwards the same shape for its seed's `multi_shot`.
 */

/** "Max length per shot content: 512 characters." */
export const MAX_SHOT_PROMPT_LENGTH = 512;

/** The multi-shot fields of an official-format body for the request's shots. */
export function officialMultiShotFields(shots: readonly Shot[]): Record<string, unknown> {
  return {
    multi_shot: true,
    // `customize`: klingflow's shots are the user's own; `intelligence` would let Kling split one prompt.
    shot_type: 'customize',
    multi_prompt: shots.map((shot, index) => ({
      index: index + 1,
      prompt: shot.prompt,
      // A string, like the task's own duration.
      duration: String(shot.duration),
    })),
  };
}

/**
 * What the official API refuses (after billing, as code 1201) in a multi-shot request whose
 * shape the unified schema already checked (2–6 shots, whole seconds adding up to duration).
 */
export function officialShotIssues(request: UnifiedRequest, on: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!request.shots) return issues;
  request.shots.forEach((shot, index) => {
    if (shot.prompt === '') {
      issues.push({ field: `shots[${index}].prompt`, message: `is required by ${on}` });
    } else if (shot.prompt.length > MAX_SHOT_PROMPT_LENGTH) {
      issues.push({
        field: `shots[${index}].prompt`,
        message: `is ${shot.prompt.length} characters; ${on} takes at most ${MAX_SHOT_PROMPT_LENGTH} per shot`,
      });
    }
  });
  if (request.endImage) {
    issues.push({
      field: 'endImage',
      message: `does not combine with shots on ${on} (multi-shot takes a first frame only)`,
    });
  }
  return issues;
}
