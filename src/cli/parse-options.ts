import { parseFailoverStuckAfter } from '../client/failover-stuck-after.js';
import { parseProviderList } from '../config/environment.js';
import { ConfigurationError, ValidationError } from '../errors.js';
import type { ProviderId } from '../request/unified-request.js';

export function parseInteger(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    // `5s` for a duration in seconds, `10.0` and the like: suggested, never taken.
    const meant = /^\s*(\d+)(?:\.0+)?\s*(s|sec|secs|seconds?)?\s*$/i.exec(value)?.[1];
    throw new ValidationError([
      {
        field: flag,
        message: `"${value}" is not a whole number${meant ? `; did you mean ${meant}?` : ''}`,
      },
    ]);
  }
  return Number(value);
}

/** A TCP port flag or variable: a whole number from 1 to 65535. */
export function parsePort(value: string, field: string): number {
  const port = parseInteger(value, field);
  if (port < 1 || port > 65_535) {
    throw new ValidationError([{ field, message: `${port} is not a port number (1-65535)` }]);
  }
  return port;
}

export function parseNumber(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    // A decimal comma (`0,5`, as many locales write it) or a currency (`$0.50`, `2 USD`):
    // suggested, never taken.
    const comma = /^\s*(-?\d+),(\d+)\s*$/.exec(value);
    const money = /^\s*(?:\$|usd)?\s*(\d+(?:\.\d+)?)\s*(?:\$|usd)?\s*$/i.exec(value);
    const number = comma ? `${comma[1]}.${comma[2]}` : money?.[1];
    const meant = number !== undefined ? `; did you mean ${number}?` : '';
    throw new ValidationError([{ field: flag, message: `"${value}" is not a number${meant}` }]);
  }
  return number;
}

export function parseProviders(value: string | undefined, flag: string): ProviderId[] | undefined {
  try {
    return parseProviderList(value, flag);
  } catch (error) {
    if (error instanceof ConfigurationError)
      throw new ValidationError([{ field: flag, message: error.message.replace(`${flag}: `, '') }]);
    throw error;
  }
}

export function parsePositiveNumber(value: string, flag: string): number {
  const number = parseNumber(value, flag);
  if (number <= 0)
    throw new ValidationError([{ field: flag, message: `must be greater than 0, not ${value}` }]);
  return number;
}

/** A flag's parsed value, or undefined when the flag was not given. */
export function ifGiven<T>(value: string | undefined, parse: (given: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

/** `--failover-stuck-after DURATION`: a positive duration (`20m`, `1h`, `90s`), in milliseconds. */
export function parseFailoverStuckAfterFlag(value: string, flag: string): number {
  const parsed = parseFailoverStuckAfter(value, flag);
  if ('issue' in parsed) throw new ValidationError([parsed.issue]);
  return parsed.ms;
}
