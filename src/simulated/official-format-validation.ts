import type { OfficialFakeEndpoint, OfficialFakeOptions } from './official-format-fake.js';
import { customShots, multiShotProblem } from './official-multi-shot-validation.js';

/**
 * The official API's field checks, strict so that a wrong name or type on the wire fails in the
 * fake the way the provider would refuse it. Each check returns why the body is refused.
 */

const CAMERA_TYPES = new Set([
  'simple',
  'down_back',
  'forward_up',
  'right_turn_forward',
  'left_turn_forward',
]);
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'];
const ASPECT_RATIOS = new Set(['16:9', '9:16', '1:1']);

type Body = Record<string, unknown>;

/** What one submit is checked against: the endpoint's and the model's rules. */
interface Checked {
  options: OfficialFakeOptions;
  endpoint: OfficialFakeEndpoint;
  body: Body;
  model: string;
  mode: string;
}

export function validateOfficialBody(
  options: OfficialFakeOptions,
  endpoint: OfficialFakeEndpoint,
  json: unknown,
): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return 'request body must be a JSON object';
  }
  const rules = options.endpoints[endpoint];
  const body = json as Body;
  const unknownField = Object.keys(body).find((field) => !rules.fields.includes(field));
  if (unknownField) return `unknown field ${unknownField} on ${endpoint}`;

  const model = body.model_name ?? rules.defaultModel;
  if (typeof model !== 'string' || !rules.models.includes(model)) {
    return `model_name must be one of: ${rules.models.join(', ')} on ${endpoint}`;
  }
  if (body.mode !== undefined) {
    if (body.mode !== 'std' && body.mode !== 'pro') return 'mode must be "std" or "pro"';
    const modeProblem = options.rules.mode(model);
    if (modeProblem) return modeProblem;
  }
  const mode = typeof body.mode === 'string' ? body.mode : 'std';
  const checked: Checked = { options, endpoint, body, model, mode };
  return (
    promptProblem(checked) ??
    durationAndShapeProblem(checked) ??
    multiShotProblem(options, endpoint, body, model) ??
    soundProblem(checked) ??
    imageFieldsProblem(checked) ??
    videoListProblem(checked) ??
    stringFieldsProblem(body)
  );
}

function promptProblem({ options, endpoint, body }: Checked): string | undefined {
  // image2video takes none; custom shots carry their own prompts and the top-level one is ignored.
  const promptRequired = endpoint !== 'image2video' && !customShots(body);
  if (body.prompt !== undefined || promptRequired) {
    if (typeof body.prompt !== 'string' || (promptRequired && body.prompt.trim() === '')) {
      return 'prompt must be a non-empty string';
    }
    if (body.prompt.length > options.promptLimit) {
      return `prompt must be at most ${options.promptLimit} characters`;
    }
  }
  if (body.negative_prompt !== undefined) {
    if (typeof body.negative_prompt !== 'string') return 'negative_prompt must be a string';
    if (body.negative_prompt.length > options.negativePromptLimit) {
      return `negative_prompt must be at most ${options.negativePromptLimit} characters`;
    }
  }
  return undefined;
}

/** Duration, aspect ratio, cfg_scale and camera control (which depends on the duration). */
function durationAndShapeProblem({
  options,
  endpoint,
  body,
  model,
  mode,
}: Checked): string | undefined {
  let duration = '5';
  if (body.duration !== undefined) {
    const numericAllowed =
      options.endpoints[endpoint].acceptsNumericDuration && typeof body.duration === 'number';
    if (typeof body.duration !== 'string' && !numericAllowed) {
      return `duration must be a string such as "5", not ${typeof body.duration}`;
    }
    duration = String(body.duration);
    const allowed = options.rules.durations(model);
    if (!allowed.includes(duration)) {
      return `duration must be one of: ${allowed.join(', ')} for ${model}`;
    }
  }
  if (body.aspect_ratio !== undefined) {
    if (typeof body.aspect_ratio !== 'string' || !ASPECT_RATIOS.has(body.aspect_ratio)) {
      return 'aspect_ratio must be one of: 16:9, 9:16, 1:1';
    }
  }
  if (body.cfg_scale !== undefined) {
    const cfgProblem = options.rules.cfgScale(model);
    if (cfgProblem) return cfgProblem;
    if (typeof body.cfg_scale !== 'number' || body.cfg_scale < 0 || body.cfg_scale > 1) {
      return 'cfg_scale must be a number in [0, 1]';
    }
  }
  if (body.camera_control !== undefined) {
    const problem = cameraControlProblem(body.camera_control);
    if (problem) return problem;
    const type = (body.camera_control as { type?: unknown }).type;
    const ruleProblem = options.rules.cameraControl({ endpoint, model, mode, duration, type });
    if (ruleProblem) return ruleProblem;
  }
  return undefined;
}

function soundProblem({ options, body, model, mode }: Checked): string | undefined {
  if (body.sound === undefined) return undefined;
  if (body.sound !== 'on' && body.sound !== 'off') return 'sound must be "on" or "off"';
  return body.sound === 'on' ? options.rules.sound(model, mode) : undefined;
}

function imageFieldsProblem({ endpoint, body }: Checked): string | undefined {
  if (endpoint === 'image2video') {
    if (body.image === undefined) return 'image is required on image2video';
    for (const field of ['image', 'image_tail'] as const) {
      if (body[field] === undefined) continue;
      const problem = imageProblem(field, body[field]);
      if (problem) return problem;
    }
    if (body.image_tail !== undefined && body.camera_control !== undefined) {
      return 'image_tail and camera_control cannot be used together';
    }
  }
  if (endpoint === 'omni-video' && body.image_list !== undefined) {
    if (!Array.isArray(body.image_list)) return 'image_list must be an array';
    for (const item of body.image_list as unknown[]) {
      const entry = item as Record<string, unknown> | null;
      if (!entry || typeof entry !== 'object') return 'image_list items must be objects';
      const problem = imageProblem('image_list.image_url', entry.image_url);
      if (problem) return problem;
      if (entry.type !== undefined && entry.type !== 'first_frame' && entry.type !== 'end_frame') {
        return 'image_list.type must be "first_frame" or "end_frame"';
      }
    }
  }
  return undefined;
}

function videoListProblem({ endpoint, body }: Checked): string | undefined {
  if (body.video_list === undefined) return undefined;
  if (endpoint !== 'omni-video') return 'video_list is only for omni-video';
  const list = body.video_list as { video_url?: unknown; refer_type?: unknown }[];
  const valid =
    Array.isArray(list) &&
    list.length <= 1 &&
    list.every(
      (entry) =>
        typeof entry?.video_url === 'string' &&
        /^https?:\/\//.test(entry.video_url) &&
        (entry.refer_type === undefined || ['feature', 'base'].includes(String(entry.refer_type))),
    );
  return valid ? undefined : 'video_list must be [{video_url: <URL>, refer_type: feature|base}]';
}

function stringFieldsProblem(body: Body): string | undefined {
  for (const field of ['callback_url', 'notify_hook', 'external_task_id']) {
    if (body[field] !== undefined && typeof body[field] !== 'string') {
      return `${field} must be a string`;
    }
  }
  return undefined;
}

/** URL or raw base64: the official docs refuse a `data:` prefix. */
function imageProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} must be a non-empty string`;
  if (value.startsWith('data:')) return `${field} must be raw base64 without a data: prefix`;
  if (/^https?:\/\//.test(value)) return undefined;
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return `${field} must be an image URL or base64`;
  return undefined;
}

function cameraControlProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return 'camera_control must be an object';
  const control = value as { type?: unknown; config?: Record<string, unknown> };
  if (typeof control.type !== 'string' || !CAMERA_TYPES.has(control.type)) {
    return `camera_control.type must be one of: ${[...CAMERA_TYPES].join(', ')}`;
  }
  if (control.type === 'simple') {
    const set = CAMERA_AXES.filter((axis) => (control.config?.[axis] ?? 0) !== 0);
    if (set.length !== 1) return 'camera_control.config must set exactly one non-zero axis';
  }
  return undefined;
}
