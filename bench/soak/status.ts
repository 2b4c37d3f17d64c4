import type { AttemptRecord, GenerationStatus } from '../../src/contracts/generation.js';

/** Reading a job's status: the attempts that ran, and the one that ended a failed job. */

export const triedAttempts = (status: GenerationStatus) =>
  status.attempts.filter((attempt) => attempt.outcome !== 'skipped');

export function lastFailedAttempt(status: GenerationStatus): AttemptRecord | undefined {
  return [...status.attempts].reverse().find((attempt) => attempt.outcome === 'failed');
}
