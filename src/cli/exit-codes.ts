import {
  ConfigurationError,
  TemporalCliUnavailableError,
  TemporalUnreachableError,
  ValidationError,
} from '../errors.js';

/** The contract's exit codes. */
export const ExitCode = {
  success: 0,
  /** The generation failed or was cancelled. */
  failed: 1,
  /** Invalid input: nothing was submitted; the message names the field and the allowed values. */
  invalidInput: 2,
  /** Temporal cannot be reached. */
  temporalUnreachable: 3,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ValidationError || error instanceof ConfigurationError)
    return ExitCode.invalidInput;
  if (error instanceof TemporalUnreachableError || error instanceof TemporalCliUnavailableError) {
    return ExitCode.temporalUnreachable;
  }
  return ExitCode.failed;
}

/** Thrown by commands to end with a specific exit code after printing their own output. */
export class CommandExit extends Error {
  override readonly name = 'CommandExit';
  readonly kind = 'command-exit' as const;
  readonly code: number;

  constructor(code: number, message = '') {
    super(message);
    this.code = code;
  }
}
