import { DEFAULT_DB_FILENAME } from '../temporal/dev-server.js';

/** What a waiting command follows: a job or a batch, by the id that finds it again. */
export interface FollowedWork {
  kind: 'job' | 'batch';
  id: string;
}

/**
 * What a Ctrl-C while waiting leaves behind, and how to pick it up again. Re-running the same
 * command with the same id follows the existing job or batch: nothing is submitted again.
 */
export function afterInterruption(
  work: FollowedWork | undefined,
  where: { embedded: boolean; simulated: boolean },
): string | undefined {
  if (!work) return undefined;
  const name = work.kind === 'job' ? `job ${work.id}` : `batch ${work.id}`;
  const again =
    work.kind === 'job'
      ? 'nothing is submitted again'
      : 'finished and running items are not submitted again';
  if (!where.embedded) {
    const follow =
      work.kind === 'job'
        ? `\`klingflow status ${work.id} --wait\` follows it again`
        : `the same command with --id ${work.id} follows it again (${again})`;
    return `no longer following ${name}; it keeps running on the Temporal server: ${follow}`;
  }
  const simulated = where.simulated
    ? '; the simulated providers forget their tasks between runs, so a resumed job waiting on one asks another, unbilled'
    : '';
  return `${name} is kept in ${DEFAULT_DB_FILENAME}: run the same command with --id ${work.id} to resume it (${again}${simulated})`;
}
