import { randomUUID } from 'node:crypto';
import { bearerToken, type FakeProviderServer, type FakeTask } from './fake-server.js';
import type { OfficialFakeOptions } from './official-format-fake.js';
import {
  base64TaskId,
  isMapImageCamera,
  numericTaskId,
  type OfficialFakeEndpoint,
  officialError,
  officialTaskStatus,
  startOfficialFormatFake,
} from './official-format-fake.js';

/**
 * OpenAI-HK as seeds/001 describes it: the official format under `/kling`, a static Bearer key,
 * `notify_hook` for callbacks, no `external_task_id`, the seed's model lists and its 500/200
 * character limits. Responses are the seed's samples with ids and URLs substituted (the seed's
 * "成功" message shows up mis-decoded there; the fake sends the intended text).
 */

export const OPENAI_HK_FAKE_API_KEY = 'openai-hk-fake-key';

const V1_FAMILY = new Set(['kling-v1', 'kling-v1-5', 'kling-v1-6']);

const OPENAI_HK_FAKE_ENDPOINTS: OfficialFakeOptions['endpoints'] = {
  text2video: {
    models: ['kling-v1', 'kling-v2-master', 'kling-v1-5', 'kling-v1-6', 'kling-v2-6'],
    defaultModel: 'kling-v1',
    fields: [
      'model_name',
      'prompt',
      'sound',
      'negative_prompt',
      'cfg_scale',
      'mode',
      'aspect_ratio',
      'duration',
      'camera_control',
      'notify_hook',
    ],
  },
  image2video: {
    models: ['kling-v1', 'kling-v1-5', 'kling-v1-6'],
    defaultModel: 'kling-v1',
    fields: [
      'model_name',
      'image',
      'image_tail',
      'prompt',
      'negative_prompt',
      'cfg_scale',
      'mode',
      'aspect_ratio',
      'duration',
      // Not in the seed's image2video table; the official map (which it proxies) has kling-v1-5.
      'camera_control',
      'notify_hook',
    ],
  },
  'omni-video': {
    models: ['kling-video-o1'],
    fields: [
      'prompt',
      'model_name',
      'duration',
      'mode',
      'aspect_ratio',
      'notify_hook',
      'image_list',
      // The seed prices "video_list contains a video reference" (×1.5).
      'video_list',
    ],
    acceptsNumericDuration: true,
  },
};

/** Per-model rules: why a field is refused for a model, or undefined. */
const OPENAI_HK_FAKE_RULES: OfficialFakeOptions['rules'] = {
  cfgScale: (model) =>
    V1_FAMILY.has(model) ? undefined : `cfg_scale is not supported by ${model}`,
  sound: (model) => (model === 'kling-v2-6' ? undefined : 'sound: only supported by kling-v2-6'),
  // "only supported for 5s + std mode" (text2video), and kling-v1-5 image2video (simple) at 5 s
  // pro as on the official capability map.
  cameraControl: (request) =>
    (request.endpoint === 'text2video' && request.mode === 'std' && request.duration === '5') ||
    isMapImageCamera(request)
      ? undefined
      : 'camera_control is only supported for 5s + std mode',
  mode: (model) =>
    model === 'kling-v2-master' ? 'mode is not supported by kling-v2-master' : undefined,
  durations: () => ['5', '10'],
};

export async function startOpenAiHkFake(
  options: { apiKey?: string; renderMs?: number } = {},
): Promise<FakeProviderServer> {
  const apiKey = options.apiKey ?? OPENAI_HK_FAKE_API_KEY;
  return startOfficialFormatFake({
    name: 'openai-hk',
    basePath: '/kling',
    ...(options.renderMs !== undefined ? { renderMs: options.renderMs } : {}),
    authorize: async (request) =>
      bearerToken(request) === apiKey ? undefined : officialError(1000, 'invalid api key'),
    endpoints: OPENAI_HK_FAKE_ENDPOINTS,
    promptLimit: 500,
    negativePromptLimit: 200,
    rules: OPENAI_HK_FAKE_RULES,
    externalTaskIds: false,
    responses: {
      newTaskId: (endpoint) => (endpoint === 'omni-video' ? numericTaskId() : base64TaskId()),
      created: (task, endpoint) => created(task, endpoint),
      queried: (task, endpoint, fake) => queried(task, endpoint, fake),
    },
  });
}

function created(task: FakeTask, endpoint: OfficialFakeEndpoint) {
  if (endpoint === 'omni-video') {
    // The seed's omni create sample: no created_at, message "SUCCEED", a UUID request id.
    return {
      code: 0,
      message: 'SUCCEED',
      request_id: randomUUID(),
      data: { task_id: task.id, task_status: 'submitted', updated_at: task.createdAt },
    };
  }
  return textImageEnvelope(task, {
    task_id: task.id,
    task_status: 'submitted',
    created_at: task.createdAt,
    updated_at: task.createdAt,
  });
}

/** The text/image endpoints' envelope: message "成功", the task id as the request id. */
function textImageEnvelope(task: FakeTask, data: Record<string, unknown>) {
  return { code: 0, message: '成功', request_id: task.id, data };
}

function queried(task: FakeTask, endpoint: OfficialFakeEndpoint, fake: FakeProviderServer) {
  const status = officialTaskStatus(fake, task);
  const message = status === 'failed' ? fake.failureMessage(task) : '';
  const updatedAt = status === 'submitted' ? task.createdAt : Date.now();
  const duration = String(task.request.duration ?? '5');
  if (endpoint === 'omni-video') {
    // Key order and fields as in the seed's omni query sample.
    return {
      code: 0,
      data: {
        created_at: task.createdAt,
        ...(status === 'succeed' ? { final_unit_deduction: '4' } : {}),
        task_id: task.id,
        task_info: {},
        ...(status === 'succeed'
          ? {
              task_result: {
                videos: [
                  { duration: `${duration}.041`, id: numericTaskId(), url: fake.videoUrl(task) },
                ],
              },
            }
          : {}),
        task_status: status,
        task_status_msg: message,
        updated_at: updatedAt,
      },
      message: 'SUCCEED',
      request_id: randomUUID(),
    };
  }
  return textImageEnvelope(task, {
    task_id: task.id,
    task_status: status,
    task_status_msg: message,
    created_at: task.createdAt,
    updated_at: updatedAt,
    ...(status === 'succeed'
      ? {
          task_result: {
            images: null,
            videos: [{ id: randomUUID(), url: fake.videoUrl(task), duration: `${duration}.1` }],
          },
        }
      : {}),
  });
}
