import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BATCH_ID_PATTERN, BATCH_ID_RULE, type BatchItem } from '../contracts/batch.js';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { notifyUrlIssues } from '../notify/notify-url.js';
import { checkRequestAgainstProviders } from '../providers/catalog.js';
import { describeUnknownProviders } from '../request/provider-suggestion.js';
import { PROVIDER_IDS, type ProviderId } from '../request/unified-request.js';
import type { VideoStorage } from '../storage/video-storage.js';
import { parseFailoverStuckAfter } from './failover-stuck-after.js';
import { type GenerationRequest, prepareRequest } from './prepare-request.js';

/** One request of a batch as a library caller writes it (the same fields as a batch file line). */
export interface BatchEntry {
  /** Item id, unique in the batch; default: the line number (or 1-based position). */
  id?: string;
  /** Line in the batch file, for messages; the default key when there is no id. */
  line?: number;
  request: GenerationRequest;
  /** Failover order for this item. */
  providers?: ProviderId[];
  /** Stuck-failover opt-in for this item (`20m`, or milliseconds); overrides the batch's. */
  failoverStuckAfter?: string | number;
  /** This item's job POSTs its final status here when it ends (see StartGenerationOptions). */
  notifyUrl?: string;
}

export interface BatchValidationOptions {
  /** Where local images are stored as blobs (the storage the workers read). */
  storage: Pick<VideoStorage, 'putBlob'>;
  /** Providers the workers have keys for; items without `providers` are checked against these. */
  availableProviders?: readonly ProviderId[];
  /** Relative local image paths are resolved against this directory (the batch file's). */
  baseDirectory?: string;
}

const IMAGE_FIELDS = ['startImage', 'endImage'] as const;

/**
 * Reads and validates a JSONL batch file: one request per line, blank lines skipped. Every line
 * is checked (JSON, fields, ids, providers, provider capabilities, local images) before anything
 * is started; any bad line throws one ValidationError listing every problem with its line number.
 * Local images are stored as blobs, so the items only carry references.
 */
export async function readBatchFile(
  path: string,
  options: Omit<BatchValidationOptions, 'baseDirectory'>,
): Promise<BatchItem[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ValidationError(
      [
        {
          field: 'file',
          message: `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
        },
      ],
      { cause },
    );
  }
  return parseBatchText(text, { ...options, baseDirectory: dirname(resolve(path)) });
}

/** Parses JSONL text (see readBatchFile). Line numbers count blank lines, as an editor does. */
export async function parseBatchText(
  text: string,
  options: BatchValidationOptions,
): Promise<BatchItem[]> {
  const entries: BatchEntry[] = [];
  const issues: ValidationIssue[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const location = `line ${line}`;
    const content = index === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      issues.push({
        field: 'json',
        message: `not valid JSON (${error instanceof Error ? error.message : String(error)})${quoteHint(content)}`,
        location,
      });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({
        field: 'line',
        message: Array.isArray(value)
          ? 'must be a JSON object (one request), not an array: a batch file is JSONL, one request object per line'
          : 'must be a JSON object (one request)',
        location,
      });
      continue;
    }
    const { id, providers, failoverStuckAfter, notifyUrl, ...request } = value as Record<
      string,
      unknown
    >;
    const entry: BatchEntry = { line, request: request as GenerationRequest };
    if (id !== undefined) entry.id = id as string;
    if (providers !== undefined) entry.providers = providers as ProviderId[];
    if (failoverStuckAfter !== undefined)
      entry.failoverStuckAfter = failoverStuckAfter as string | number;
    if (notifyUrl !== undefined) entry.notifyUrl = notifyUrl as string;
    entries.push(entry);
  }
  if (entries.length === 0 && issues.length === 0) {
    issues.push({ field: 'file', message: 'has no requests (every line is blank)' });
  }
  return validateBatchEntries(entries, options, issues);
}

/**
 * Validates batch entries (from a file or a library caller) and prepares their requests.
 * Throws one ValidationError with every issue found, each located by line (or item position).
 */
export async function validateBatchEntries(
  entries: readonly BatchEntry[],
  options: BatchValidationOptions,
  earlierIssues: readonly ValidationIssue[] = [],
): Promise<BatchItem[]> {
  const issues: ValidationIssue[] = [...earlierIssues];
  const items: BatchItem[] = [];
  const keys = new Map<string, string>();
  if (entries.length === 0 && issues.length === 0) {
    issues.push({ field: 'items', message: 'a batch needs at least one request' });
  }
  for (const [index, entry] of entries.entries()) {
    const location = entry.line !== undefined ? `line ${entry.line}` : `item ${index + 1}`;
    let bad = false;
    const report = (issue: Omit<ValidationIssue, 'location'>) => {
      issues.push({ ...issue, location });
      bad = true;
    };

    const key = entryKey(entry, index, location, keys, report);

    const providers = checkProviders(entry.providers, report);
    let failoverStuckAfterMs: number | undefined;
    if (entry.failoverStuckAfter !== undefined) {
      const parsed = parseFailoverStuckAfter(entry.failoverStuckAfter, 'failoverStuckAfter');
      if ('issue' in parsed) report(parsed.issue);
      else failoverStuckAfterMs = parsed.ms;
    }
    if (entry.notifyUrl !== undefined) {
      for (const issue of notifyUrlIssues(entry.notifyUrl)) report(issue);
    }

    let request: BatchItem['request'] | undefined;
    if (typeof entry.request !== 'object' || entry.request === null) {
      report({ field: 'request', message: 'must be an object' });
    } else {
      try {
        request = await prepareRequest(
          withResolvedImages(entry.request, options.baseDirectory),
          options.storage,
          location,
        );
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const issue of error.issues) report({ ...issue });
      }
    }
    if (request && providers !== null) {
      const candidates = providers ?? options.availableProviders;
      const check = checkRequestAgainstProviders(request, candidates);
      if (check.servable.length === 0) {
        for (const issue of check.issues) {
          issues.push({ ...issue, location: `${location}, ${issue.location ?? 'providers'}` });
        }
        if (check.issues.length === 0) {
          report({ field: 'providers', message: 'no provider can serve this request' });
        }
        bad = true;
      }
    }
    if (!bad && request) {
      items.push({
        key,
        ...(entry.line !== undefined ? { line: entry.line } : {}),
        request,
        ...(providers ? { providers } : {}),
        ...(failoverStuckAfterMs !== undefined ? { failoverStuckAfterMs } : {}),
        ...(entry.notifyUrl !== undefined ? { notifyUrl: entry.notifyUrl } : {}),
      });
    }
  }
  if (issues.length > 0) throw new ValidationError(sortByLocation(issues));
  return items;
}

/**
 * The item's key: its id, or its line (item position) when it has none. A second use of a key
 * is reported; `keys` remembers where each was first used.
 */
function entryKey(
  entry: BatchEntry,
  index: number,
  location: string,
  keys: Map<string, string>,
  report: (issue: Omit<ValidationIssue, 'location'>) => void,
): string {
  if (entry.id !== undefined) {
    if (typeof entry.id !== 'string' || !BATCH_ID_PATTERN.test(entry.id)) {
      report({
        field: 'id',
        message: `${JSON.stringify(entry.id)} is not a valid id: use ${BATCH_ID_RULE}`,
      });
    }
  }
  const key = typeof entry.id === 'string' ? entry.id : String(entry.line ?? index + 1);
  const earlier = keys.get(key);
  if (earlier !== undefined) {
    report({
      field: 'id',
      message:
        entry.id !== undefined
          ? `duplicate id ${JSON.stringify(key)} (already used by ${earlier})`
          : `this line's default id ${JSON.stringify(key)} is already used by ${earlier}: give the line an id`,
    });
  } else {
    keys.set(key, location);
  }
  return key;
}

/** Issues in file order (a stable sort on the line or item number of their location). */
function sortByLocation(issues: ValidationIssue[]): ValidationIssue[] {
  const position = (issue: ValidationIssue) =>
    Number(/^(?:line|item) (\d+)/.exec(issue.location ?? '')?.[1] ?? 0);
  return [...issues].sort((left, right) => position(left) - position(right));
}

/** `providers`: an array of known, distinct provider ids. Null when invalid (already reported). */
/**
 * Why a line pasted from a document or a Python/JavaScript literal is not JSON, when it is the
 * quotes: JSON.parse names only a position.
 */
function quoteHint(line: string): string {
  if (/[\u201C\u201D\u201E\u2033]/.test(line))
    return '; it has typographic quotes (“ ”), which JSON does not take: use straight double quotes (")';
  if (/(^|[{,[:]\s*)'/.test(line))
    return '; JSON keys and strings take double quotes ("), not single ones';
  return '';
}

function checkProviders(
  value: unknown,
  report: (issue: Omit<ValidationIssue, 'location'>) => void,
): ProviderId[] | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    // `"providers": "hyprlab,fal"`, as the flag and KLINGFLOW_PROVIDERS are written.
    const listed = typeof value === 'string' ? value.split(',').map((id) => id.trim()) : [];
    const meant =
      listed.length > 0 && listed.every((id) => (PROVIDER_IDS as readonly string[]).includes(id));
    report({
      field: 'providers',
      message: `must be a non-empty array of provider ids (failover order)${meant ? `; write ${JSON.stringify(listed)}` : ''}`,
      allowed: PROVIDER_IDS,
    });
    return null;
  }
  const unknown = value.filter(
    (id) => typeof id !== 'string' || !(PROVIDER_IDS as readonly string[]).includes(id),
  );
  if (unknown.length > 0) {
    report({
      field: 'providers',
      message: `unknown provider ${describeUnknownProviders(unknown)}`,
      allowed: PROVIDER_IDS,
    });
    return null;
  }
  if (new Set(value).size !== value.length) {
    report({ field: 'providers', message: 'lists a provider more than once' });
    return null;
  }
  return value as ProviderId[];
}

/** Relative local image paths in a batch file are relative to the file, not the shell. */
function withResolvedImages(
  request: GenerationRequest,
  baseDirectory: string | undefined,
): GenerationRequest {
  if (!baseDirectory) return request;
  const resolved: Record<string, unknown> = { ...request };
  for (const field of IMAGE_FIELDS) {
    const value = request[field];
    if (
      typeof value === 'string' &&
      value.trim() !== '' &&
      !/^[a-z][a-z0-9+.-]*:/i.test(value) &&
      !isAbsolute(value)
    ) {
      resolved[field] = resolve(baseDirectory, value);
    }
  }
  return resolved as GenerationRequest;
}

export { type BatchOptions, createBatchInput, newBatchId } from './batch-input.js';
