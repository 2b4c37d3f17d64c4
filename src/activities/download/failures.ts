import { ApplicationFailure } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { DownloadFailureType } from '../../contracts/download-failures.js';
import { findBlockedAddressError } from '../../http/guarded-agent.js';
import { parseRetryAfter } from '../../http/retry-after.js';

export function statusFailure(
  status: number,
  headers: Dispatcher.ResponseData['headers'],
): ApplicationFailure {
  if (status === 404 || status === 410) {
    return ApplicationFailure.create({
      type: DownloadFailureType.resultGone,
      message: `the result file is gone (HTTP ${status})`,
      nonRetryable: true,
    });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429) {
    return ApplicationFailure.create({
      type: DownloadFailureType.refused,
      message: `the result URL answered HTTP ${status}`,
      nonRetryable: true,
    });
  }
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  return ApplicationFailure.create({
    type: DownloadFailureType.interrupted,
    message: `the result URL answered HTTP ${status}`,
    ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
  });
}

/** Turns whatever went wrong into an ApplicationFailure whose message names no signed URL. */
export function classify(error: unknown, where: string, offset: number): ApplicationFailure {
  const blocked = findBlockedAddressError(error);
  if (blocked) {
    return ApplicationFailure.create({
      type: DownloadFailureType.blockedUrl,
      message: `refusing to download ${where}: ${blocked.message}`,
      nonRetryable: true,
    });
  }
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: error.type ?? DownloadFailureType.interrupted,
      message: `download of ${where}: ${error.message}`,
      nonRetryable: error.nonRetryable ?? false,
      ...(error.nextRetryDelay != null ? { nextRetryDelay: error.nextRetryDelay } : {}),
    });
  }
  const detail = (error as { code?: unknown })?.code ?? (error as Error)?.message ?? error;
  return ApplicationFailure.create({
    type: DownloadFailureType.interrupted,
    message: `download of ${where} interrupted at byte ${offset}: ${String(detail)}`,
    cause: error instanceof Error ? error : undefined,
  });
}

export function interrupted(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: DownloadFailureType.interrupted, message });
}

export function tooLarge(what: string, limit: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: DownloadFailureType.tooLarge,
    message: `${what}; videos over ${limit} bytes are refused`,
    nonRetryable: true,
  });
}

export function notMp4(where: string, head: Buffer): ApplicationFailure {
  const preview = head.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return ApplicationFailure.create({
    type: DownloadFailureType.notMp4,
    message: `${where} is not an MP4 file (no ftyp box at byte 4; it starts with "${preview}")`,
    nonRetryable: true,
  });
}
