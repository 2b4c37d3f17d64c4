import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify } from 'jose';
import type { FakeProviderServer, FakeTask } from './fake-server.js';
import type { OfficialFakeOptions } from './official-format-fake.js';
import {
  isMapImageCamera,
  numericTaskId,
  type OfficialFakeEndpoint,
  type OfficialFakeError,
  officialError,
  officialTaskStatus,
  startOfficialFormatFake,
} from './official-format-fake.js';

/**
 * The official Kling API (reference/providers.md §1): JWT auth verified with jose (HS256, `iss`
 * = access key, `exp`/`nbf`), the endpoint × model table, `callback_url`, and
 * `external_task_id` unique per account and usable in the query path.
 */

export const KLING_FAKE_ACCESS_KEY = 'kling-fake-access';
export const KLING_FAKE_SECRET_KEY = 'kling-fake-secret';

const TEXT2VIDEO_MODELS = [
  'kling-v1',
  'kling-v1-6',
  'kling-v2-master',
  'kling-v2-1-master',
  'kling-v2-5-turbo',
  'kling-v2-6',
  'kling-v3',
];
const IMAGE2VIDEO_MODELS = [
  'kling-v1',
  'kling-v1-5',
  'kling-v1-6',
  'kling-v2-master',
  'kling-v2-1',
  'kling-v2-1-master',
  'kling-v2-5-turbo',
  'kling-v2-6',
  'kling-v3',
];
const OMNI_MODELS = ['kling-video-o1', 'kling-v3-omni'];
const COMMON_FIELDS = [
  'model_name',
  'prompt',
  'negative_prompt',
  'mode',
  'duration',
  'sound',
  'callback_url',
  'external_task_id',
  'watermark_info',
];
/** kling-v3's multi-shot fields on text2video and image2video (official-multi-shot.ts). */
const MULTI_SHOT_FIELDS = ['multi_shot', 'shot_type', 'multi_prompt'];

const KLING_FAKE_ENDPOINTS: OfficialFakeOptions['endpoints'] = {
  text2video: {
    models: TEXT2VIDEO_MODELS,
    defaultModel: 'kling-v1',
    fields: [
      ...COMMON_FIELDS,
      ...MULTI_SHOT_FIELDS,
      'cfg_scale',
      'aspect_ratio',
      'camera_control',
      'voice_list',
    ],
  },
  image2video: {
    models: IMAGE2VIDEO_MODELS,
    defaultModel: 'kling-v1',
    // No aspect_ratio: the video follows the image.
    fields: [
      ...COMMON_FIELDS,
      ...MULTI_SHOT_FIELDS,
      'image',
      'image_tail',
      'cfg_scale',
      'camera_control',
      'static_mask',
      'dynamic_masks',
      'voice_list',
    ],
  },
  'omni-video': {
    models: OMNI_MODELS,
    // O1 takes no negative_prompt.
    fields: [
      ...COMMON_FIELDS.filter((field) => field !== 'negative_prompt'),
      'aspect_ratio',
      'image_list',
      'element_list',
      'video_list',
    ],
  },
};

/** Per-model rules: why a field is refused for a model, or undefined. */
const KLING_FAKE_RULES: OfficialFakeOptions['rules'] = {
  cfgScale: (model) =>
    model.startsWith('kling-v1') ? undefined : `cfg_scale is not supported by ${model}`,
  sound: (model, mode) => {
    if (model === 'kling-v3' || model === 'kling-v3-omni') return undefined;
    if (model === 'kling-v2-6')
      return mode === 'pro' ? undefined : 'sound on kling-v2-6 needs mode pro';
    return `sound is not supported by ${model}`;
  },
  // The capability map: kling-v1 text2video at 5 s std, kling-v1-5 image2video at 5 s pro (simple).
  cameraControl: (request) =>
    (request.endpoint === 'text2video' &&
      request.model === 'kling-v1' &&
      request.mode === 'std' &&
      request.duration === '5') ||
    isMapImageCamera(request)
      ? undefined
      : `camera_control is only supported by kling-v1 text2video at 5 s std and kling-v1-5 image2video (simple) at 5 s pro, not ${request.model} ${request.endpoint} ${request.duration} s ${request.mode}`,
  mode: () => undefined,
  multiShot: (model) =>
    model === 'kling-v3' ? undefined : `multi_shot is only supported by kling-v3, not ${model}`,
  durations: (model) =>
    model.startsWith('kling-v3')
      ? Array.from({ length: 13 }, (_, index) => String(index + 3))
      : ['5', '10'],
};

export async function startKlingFake(
  options: { accessKey?: string; secretKey?: string; renderMs?: number } = {},
): Promise<FakeProviderServer> {
  const accessKey = options.accessKey ?? KLING_FAKE_ACCESS_KEY;
  const secret = new TextEncoder().encode(options.secretKey ?? KLING_FAKE_SECRET_KEY);
  return startOfficialFormatFake({
    name: 'kling',
    basePath: '',
    ...(options.renderMs !== undefined ? { renderMs: options.renderMs } : {}),
    authorize: (request) => verifyToken(request, accessKey, secret),
    endpoints: KLING_FAKE_ENDPOINTS,
    promptLimit: 2500,
    negativePromptLimit: 2500,
    rules: KLING_FAKE_RULES,
    externalTaskIds: true,
    responses: {
      newTaskId: () => numericTaskId(),
      created: (task) => ({
        code: 0,
        message: 'SUCCEED',
        request_id: randomUUID(),
        data: {
          task_id: task.id,
          task_status: 'submitted',
          task_info: taskInfo(task),
          created_at: task.createdAt,
          updated_at: task.createdAt,
        },
      }),
      queried: (task, endpoint, fake) => queried(task, endpoint, fake),
    },
  });
}

function taskInfo(task: FakeTask): Record<string, string> {
  return task.meta.externalTaskId ? { external_task_id: task.meta.externalTaskId } : {};
}

function queried(task: FakeTask, _endpoint: OfficialFakeEndpoint, fake: FakeProviderServer) {
  const status = officialTaskStatus(fake, task);
  const duration = String(task.request.duration ?? '5');
  return {
    code: 0,
    message: 'SUCCEED',
    request_id: randomUUID(),
    data: {
      task_id: task.id,
      task_status: status,
      task_status_msg: status === 'failed' ? fake.failureMessage(task) : '',
      task_info: taskInfo(task),
      ...(status === 'succeed'
        ? {
            final_unit_deduction: '1',
            task_result: {
              videos: [{ id: randomUUID(), url: fake.videoUrl(task), duration: `${duration}.1` }],
            },
          }
        : {}),
      created_at: task.createdAt,
      updated_at: status === 'submitted' ? task.createdAt : Date.now(),
    },
  };
}

/** The official auth codes: 1001 no header, 1004 expired, 1003 not yet valid, 1002 invalid. */
async function verifyToken(
  request: IncomingMessage,
  accessKey: string,
  secret: Uint8Array,
): Promise<OfficialFakeError | undefined> {
  const header = request.headers.authorization;
  if (!header) return officialError(1001);
  const token = header.match(/^Bearer (.+)$/)?.[1];
  if (!token) return officialError(1002, 'expected "Bearer <token>"');
  try {
    await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      typ: 'JWT',
      issuer: accessKey,
      requiredClaims: ['iss', 'exp', 'nbf'],
    });
    return undefined;
  } catch (error) {
    if (error instanceof errors.JWTExpired) return officialError(1004);
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
      return officialError(1003);
    }
    return officialError(1002, (error as Error).message);
  }
}
