import type { OfficialFakeEndpoint, OfficialFakeOptions } from './official-format-fake.js';

/**
 * The official multi-shot fields as the kling-v3 docs give them (see
 * src/providers/official-multi-shot.ts for the sources): `multi_shot` (boolean), `shot_type`
 * (`customize` | `intelligence`, required with multi_shot), and for `customize` a
 * `multi_prompt` of 1–6 `{index: int, prompt: string ≤512, duration: "N"}` whose durations are
 * each 1 s or more, no longer than the task, and add up to its `duration`. Without
 * `multi_shot: true` the docs say `shot_type` and `multi_prompt` are ignored, and so are they here.
 */

const MAX_SHOTS = 6;
const MAX_SHOT_PROMPT = 512;

type Body = Record<string, unknown>;

/** True when the body asks for custom shots, where the top-level prompt is ignored. */
export function customShots(body: Body): boolean {
  return body.multi_shot === true && body.shot_type === 'customize';
}

export function multiShotProblem(
  options: OfficialFakeOptions,
  endpoint: OfficialFakeEndpoint,
  body: Body,
  model: string,
): string | undefined {
  if (body.multi_shot === undefined || body.multi_shot === false) return undefined;
  if (body.multi_shot !== true) return 'multi_shot must be a boolean';
  const unsupported = options.rules.multiShot
    ? options.rules.multiShot(model)
    : `multi_shot is not supported on ${endpoint}`;
  if (unsupported) return unsupported;
  if (endpoint === 'image2video' && body.image_tail !== undefined) {
    return 'multi_shot does not support first/last frame generation (image_tail)';
  }
  if (body.shot_type === 'intelligence') {
    return typeof body.prompt === 'string' && body.prompt.trim() !== ''
      ? undefined
      : 'prompt must be a non-empty string when shot_type is intelligence';
  }
  if (body.shot_type !== 'customize') {
    return 'shot_type must be "customize" or "intelligence" when multi_shot is true';
  }
  return multiPromptProblem(body.multi_prompt, Number(body.duration ?? '5'));
}

function multiPromptProblem(value: unknown, total: number): string | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_SHOTS) {
    return `multi_prompt must be an array of 1 to ${MAX_SHOTS} shots when shot_type is customize`;
  }
  let sum = 0;
  for (const item of value as unknown[]) {
    const shot = (item ?? {}) as Body;
    if (typeof shot !== 'object' || Array.isArray(shot))
      return 'multi_prompt items must be objects';
    const unknownField = Object.keys(shot).find(
      (field) => !['index', 'prompt', 'duration'].includes(field),
    );
    if (unknownField) return `unknown field ${unknownField} in multi_prompt`;
    if (typeof shot.index !== 'number' || !Number.isInteger(shot.index)) {
      return 'multi_prompt.index must be an integer';
    }
    if (typeof shot.prompt !== 'string' || shot.prompt.trim() === '') {
      return 'multi_prompt.prompt must be a non-empty string';
    }
    if (shot.prompt.length > MAX_SHOT_PROMPT) {
      return `multi_prompt.prompt must be at most ${MAX_SHOT_PROMPT} characters`;
    }
    if (typeof shot.duration !== 'string' || !/^[1-9][0-9]*$/.test(shot.duration)) {
      return 'multi_prompt.duration must be a string of whole seconds such as "5"';
    }
    const seconds = Number(shot.duration);
    if (seconds > total) return 'multi_prompt.duration must not exceed the task duration';
    sum += seconds;
  }
  if (sum !== total) {
    return `multi_prompt durations must add up to the task duration (${sum} s ≠ ${total} s)`;
  }
  return undefined;
}
