/**
 * ApplicationFailure types the download activities throw (activities/download/failures.ts); the
 * workflow branches on them, so they live here, free of the activities' runtime imports.
 */
export const DownloadFailureType = {
  /** 404/410: the provider no longer has the file (signed URL expired, result purged). */
  resultGone: 'ResultGone',
  /** Other 4xx that retrying will not change. */
  refused: 'DownloadRefused',
  /** Non-http(s) URL or a private/loopback address while that is not allowed. */
  blockedUrl: 'BlockedUrl',
  notMp4: 'NotMp4',
  tooLarge: 'DownloadTooLarge',
  invalidKey: 'InvalidStorageKey',
  /** Retryable: 5xx, 429, network errors, a body shorter than announced. */
  interrupted: 'DownloadInterrupted',
} as const;

/**
 * What an expired signed result URL gives (404/410, 401/403 from a CDN, or an error page served
 * with 200 in place of the MP4): the provider may still hold the paid video under a fresh URL.
 */
export const MAYBE_EXPIRED_URL_FAILURES: readonly string[] = [
  DownloadFailureType.resultGone,
  DownloadFailureType.refused,
  DownloadFailureType.notMp4,
];
