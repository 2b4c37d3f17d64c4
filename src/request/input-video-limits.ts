/**
 * What the providers accept as an input video, checked on a local file before it is stored and
 * anything is submitted (a video URL is fetched by the provider, which checks it itself).
 */
export interface InputVideoLimits {
  minSeconds: number;
  maxSeconds: number;
  maxBytes: number;
}

const MB = 1024 * 1024;

export const INPUT_VIDEO_LIMITS = {
  /**
   * The motion source of kling-motion-control: "Up to 30s" (seeds/003, apimodels); at least 3 s,
   * .mp4/.mov, up to 100 MB in the official Motion Control docs that apimodels resells.
   */
  motionVideo: { minSeconds: 3, maxSeconds: 30, maxBytes: 100 * MB },
  /** The omni-video `video_list` reference: .mp4/.mov, 3–10 s, up to 200 MB (official O1 docs). */
  referenceVideo: { minSeconds: 3, maxSeconds: 10, maxBytes: 200 * MB },
} as const satisfies Record<string, InputVideoLimits>;

export type InputVideoField = keyof typeof INPUT_VIDEO_LIMITS;
