/**
 * Rules from the official Kling capability map that every catalog selling the official format
 * (the official API and OpenAI-HK, which proxies it) shares. A request outside them is paid for
 * and then refused with code 1201, so the catalogs refuse it before anything is sent.
 */

/** The durations (s) most official-format models take. */
export const OFFICIAL_DURATIONS = [5, 10] as const;
export const OFFICIAL_ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;

/** Camera control on kling-v1 text-to-video: 5 s, std ("only supported for 5s + std mode"). */
export const CAMERA_AT_5S_STD = { durations: [5], modes: ['std'] } as const;

/** Camera control on kling-v1.5 image-to-video: the `simple` type only, pro, 5 s. */
export const CAMERA_SIMPLE_AT_5S_PRO = {
  durations: [5],
  modes: ['pro'],
  types: ['simple'],
} as const;

/** A kling-v1 start+end frame (image_tail) request is 5 s only. */
export const KLING_V1_END_IMAGE_DURATIONS = [5] as const;

/** Rows from v2 on: no cfg_scale, no camera control, no audio. */
export const NO_CFG_CAMERA_OR_SOUND = {
  cfgScale: false,
  cameraControl: 'unsupported',
  sound: 'unsupported',
} as const;
