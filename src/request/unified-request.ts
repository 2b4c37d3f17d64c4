import { z } from 'zod';
import { cameraControlSchema } from './camera-control.js';

export {
  CAMERA_AXES,
  CAMERA_CONTROL_TYPES,
  type CameraControl,
  cameraControlSchema,
} from './camera-control.js';

/**
 * The one request shape shared by the CLI, the typed client, batch files and the workflow.
 * Field names are the client API's camelCase names; each adapter maps them to its wire format.
 */

export const MODELS = [
  'kling-v1',
  'kling-v1.5',
  'kling-v1.6',
  'kling-v2',
  'kling-v2.1',
  'kling-v2.1-master',
  'kling-v2.5-turbo',
  'kling-v2.6',
  'kling-v3',
  'kling-o1',
  /** apimodels' motion control: a character image performs the motion of a video (seeds/003). */
  'kling-motion-control',
] as const;
export type Model = (typeof MODELS)[number];

export const MODES = ['std', 'pro'] as const;
export type Mode = (typeof MODES)[number];

export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

export const PROVIDER_IDS = [
  'hyprlab',
  'openai-hk',
  'kling',
  '302ai',
  'apimodels',
  'apiframe',
  'fal',
  'replicate',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const DEFAULT_MODEL: Model = 'kling-v2.6';
export const DEFAULT_MODE: Mode = 'std';
export const DEFAULT_DURATION_SECONDS = 5;

/** Image references in a request: an http(s) URL, or a blob stored by the client (`blob:sha256:<hex>`). */
export const BLOB_REFERENCE_PATTERN = /^blob:sha256:[0-9a-f]{64}$/;

/**
 * An image or video reference (start/end frame, motion source, omni-video reference): an http(s)
 * URL, or a blob the client stored from a local file or data URI.
 */
const mediaReference = z
  .string()
  .min(1)
  .refine((value) => /^https?:\/\//i.test(value) || BLOB_REFERENCE_PATTERN.test(value), {
    message:
      'must be an http(s) URL or a stored blob reference (local files are stored by the client)',
  });

/** The most shots a multi-shot request takes (the official v3 `multi_prompt` limit). */
export const MAX_SHOTS = 6;

/**
 * One shot of a multi-shot video (apimodels' v3 `multi_shot`, the official and fal
 * `multi_prompt`): its prompt and its length; the shots' lengths add up to `duration`.
 */
export const shotSchema = z
  .object({
    /** What this shot shows; the official API needs one per shot (checked per offer). */
    prompt: z.string().trim().default(''),
    duration: z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 s'),
  })
  .strict();
export type Shot = z.infer<typeof shotSchema>;

export const unifiedRequestSchema = z
  .object({
    model: z.enum(MODELS).default(DEFAULT_MODEL),
    mode: z.enum(MODES).default(DEFAULT_MODE),
    /**
     * Required for text-to-video; may be left out (empty) for image-to-video where the
     * provider's seed allows it, or when `shots` carry the prompts (checked per offer).
     */
    prompt: z.string().trim().default(''),
    negativePrompt: z.string().optional(),
    duration: z
      .number()
      .int('must be a whole number of seconds')
      .positive()
      .default(DEFAULT_DURATION_SECONDS),
    aspectRatio: z.enum(ASPECT_RATIOS).optional(),
    cfgScale: z
      .number()
      .min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .optional(),
    startImage: mediaReference.optional(),
    endImage: mediaReference.optional(),
    cameraControl: cameraControlSchema.optional(),
    sound: z.boolean().optional(),
    /** Multi-shot: the shots in order, each with its prompt and seconds (sum = duration). */
    shots: z
      .array(shotSchema)
      .min(2, 'needs at least 2 shots (one shot is a plain prompt)')
      .max(MAX_SHOTS, `takes at most ${MAX_SHOTS} shots`)
      .optional(),
    /** The motion source of `kling-motion-control`: the character in startImage performs it. */
    motionVideo: mediaReference.optional(),
    /** A reference video for omni-video (`video_list`), priced ×1.5. */
    referenceVideo: mediaReference.optional(),
    /** Pass-through fields only one provider has, keyed by provider id, sent as-is. */
    providerOptions: z
      .partialRecord(z.enum(PROVIDER_IDS), z.record(z.string(), z.unknown()))
      .optional(),
  })
  .strict()
  .superRefine((value, context) => {
    if (value.prompt === '' && value.startImage === undefined && value.shots === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['prompt'],
        message:
          'must be a non-empty string (it may be left out only with a startImage or shots, where the provider allows it)',
      });
    }
    if (value.shots) {
      const total = value.shots.reduce((sum, shot) => sum + shot.duration, 0);
      if (total !== value.duration) {
        context.addIssue({
          code: 'custom',
          path: ['shots'],
          message: `shot durations add up to ${total} s but duration is ${value.duration} s; they must be equal`,
        });
      }
    }
  });

/** A request after defaults are applied: what the workflow and the adapters see. */
export type UnifiedRequest = z.output<typeof unifiedRequestSchema>;
/** A request as a user writes it: every field with a default may be left out. */
export type UnifiedRequestInput = z.input<typeof unifiedRequestSchema>;
