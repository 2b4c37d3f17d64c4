import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { reservedOptionIssues } from '../providers/reserved-options.js';
import {
  ASPECT_RATIOS,
  MODELS,
  MODES,
  PROVIDER_IDS,
  type UnifiedRequest,
  unifiedRequestSchema,
} from './unified-request.js';

const ALLOWED_VALUES: Record<string, readonly (string | number)[]> = {
  model: MODELS,
  mode: MODES,
  aspectRatio: ASPECT_RATIOS,
};

/** zod issues → our issues, so every message names the field and, where known, the allowed values. */
export function toValidationIssues(error: z.ZodError, location?: string): ValidationIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'request';
    const enumValues = 'values' in issue ? (issue.values as (string | number)[]) : undefined;
    const allowed = enumValues ?? ALLOWED_VALUES[field];
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.join(', ')}${issue.path.length === 0 ? fieldSuggestion(issue.keys) : ''}`
        : issue.code === 'invalid_value' && allowed
          ? `${givenValue(issue.input)}is not one of the allowed values${suggestion(issue.input, allowed)}`
          : (quotedLiteral(issue) ?? issue.message);
    // An unknown key is named with its parent's path: `providerOptions.fal`, not just `fal`.
    const unknownKeysField =
      issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''].join('.') : field;
    return {
      field: unknownKeysField,
      message,
      ...(allowed && issue.code !== 'unrecognized_keys' ? { allowed } : {}),
      ...(issue.code === 'unrecognized_keys' && field === 'providerOptions'
        ? { allowed: PROVIDER_IDS }
        : {}),
      ...(location ? { location } : {}),
    };
  });
}

/**
 * `"duration": "5"` or `"sound": "true"`: a number or boolean written as a JSON string, as
 * hand-written and spreadsheet-exported batch lines often have. Named as such, never converted.
 */
function quotedLiteral(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'invalid_type' || typeof issue.input !== 'string') return undefined;
  if (issue.expected !== 'number' && issue.expected !== 'boolean') return undefined;
  const text = issue.input.trim();
  const fits =
    (issue.expected === 'number' && text !== '' && Number.isFinite(Number(text))) ||
    (issue.expected === 'boolean' && (text === 'true' || text === 'false'));
  const given =
    issue.input.length <= MAX_QUOTED_VALUE_LENGTH
      ? `the string ${JSON.stringify(issue.input)}`
      : 'a string';
  return `must be a ${issue.expected}, not ${given}${fits ? `; write ${text} without quotes` : ''}`;
}

/**
 * The value the user gave, quoted, so a typo shows next to the allowed list; only short strings
 * and numbers (what an enum field gets), since anything else may be a pasted blob.
 */
function givenValue(input: unknown): string {
  if (typeof input === 'number' && Number.isFinite(input)) return `${input} `;
  if (typeof input === 'string' && input.length <= MAX_QUOTED_VALUE_LENGTH)
    return `${JSON.stringify(input)} `;
  return '';
}

const MAX_QUOTED_VALUE_LENGTH = 40;

/**
 * The allowed value a pasted one differs from only in case, spaces, separators or a spelling
 * users and providers write (`kling-v2-6` or `Kling 2.6` for `kling-v2.6`, `16x9` for `16:9`,
 * `standard` for `std`). Only suggested, never taken: the model and mode decide the price.
 */
function suggestion(input: unknown, allowed: readonly (string | number)[]): string {
  if (typeof input !== 'string') return '';
  const loose = (value: string) => {
    const compact = value
      .toLowerCase()
      .replace(/\s+/g, '')
      .replace(/(\d)[-_](\d)/g, '$1.$2');
    const ratio = /^(\d+)[x×/:](\d+)$/.exec(compact);
    if (ratio) return `${ratio[1]}:${ratio[2]}`;
    return (
      MODE_WORDS[compact] ??
      compact
        .replace(/^kling[-_]?/, '')
        .replace(/^v(?=\d)/, '')
        .replace(/[-_]/g, '')
    );
  };
  const given = loose(input);
  const match = allowed.find((value) => typeof value === 'string' && loose(value) === given);
  return match === undefined ? '' : `; did you mean ${match}?`;
}

/** How a mode reads in providers' docs and UIs. */
const MODE_WORDS: Record<string, string> = { standard: 'std', professional: 'pro' };

const REQUEST_FIELDS = Object.keys(unifiedRequestSchema.shape);

/** Provider wire names users paste from the providers' docs (seeds), with the request's name. */
const WIRE_NAMES: Record<string, string> = {
  model_name: 'model',
  image: 'startImage',
  image_url: 'startImage',
  image_tail: 'endImage',
  tail_image_url: 'endImage',
};

/** `; did you mean aspectRatio?` for `aspect_ratio` and the like; empty when nothing fits. */
function fieldSuggestion(keys: readonly string[]): string {
  const meant = keys.flatMap((key) => {
    const camel = key.replace(/[_-]+([a-z0-9])/gi, (_, letter: string) => letter.toUpperCase());
    const field =
      WIRE_NAMES[key.toLowerCase()] ??
      REQUEST_FIELDS.find((name) => name.toLowerCase() === camel.toLowerCase());
    return field ? [field] : [];
  });
  return meant.length === 0 ? '' : `; did you mean ${meant.join(', ')}?`;
}

/** Parses a user request, applying defaults. Throws ValidationError naming each bad field. */
export function parseUnifiedRequest(input: unknown, location?: string): UnifiedRequest {
  const result = unifiedRequestSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ValidationError(toValidationIssues(result.error, location));
  // A pass-through option must not override what is priced and validated (issue 9, rule 6).
  const reserved = reservedOptionIssues(result.data);
  if (reserved.length > 0) {
    throw new ValidationError(
      reserved.map((issue) => ({ ...issue, ...(location ? { location } : {}) })),
    );
  }
  return result.data;
}
