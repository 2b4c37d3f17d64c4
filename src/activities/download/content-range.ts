import type { Dispatcher } from 'undici';
import { headerValue } from '../../http/headers.js';
import { interrupted } from './failures.js';

/** `bytes 100-199/1000`, `bytes 100-199/*` or (for 416) `bytes *\/1000`. */
export function parseContentRange(
  value: string | undefined,
): { start: number; end: number | undefined; total: number | undefined } | undefined {
  const satisfied = value?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (satisfied) {
    return {
      start: Number(satisfied[1]),
      end: Number(satisfied[2]),
      total: satisfied[3] === '*' ? undefined : Number(satisfied[3]),
    };
  }
  const unsatisfied = value?.match(/^bytes \*\/(\d+)$/);
  if (unsatisfied) return { start: -1, end: undefined, total: Number(unsatisfied[1]) };
  return undefined;
}

export function checkContentLength(
  headers: Dispatcher.ResponseData['headers'],
  expected: number,
): void {
  const declared = numberHeader(headers['content-length']);
  if (declared !== undefined && declared !== expected) {
    throw interrupted(
      `Content-Length ${declared} does not match Content-Range (${expected} bytes)`,
    );
  }
}

/** Only strong validators may be used with If-Range (RFC 9110 §13.1.5). */
export function validatorOf(headers: Dispatcher.ResponseData['headers']): string | undefined {
  const etag = headerValue(headers.etag);
  if (etag && !etag.startsWith('W/')) return etag;
  return headerValue(headers['last-modified']);
}

export function numberHeader(value: string | string[] | undefined): number | undefined {
  const text = headerValue(value);
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
}
