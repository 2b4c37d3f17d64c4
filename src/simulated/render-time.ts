import { createHash } from 'node:crypto';

/**
 * One task's render time: log-normal around `medianMs` with `spread` the standard deviation of
 * its logarithm (0.1 puts 90% of renders within about ±16% of the median). Real providers'
 * renders vary from task to task, so polling policies can only be compared against a spread.
 * Drawn from a hash of the task id (and a seed), not a random source, so a run is repeatable
 * from its task ids. A spread of 0 gives the median exactly, as before.
 */
export function renderTimeFor(options: {
  medianMs: number;
  spread: number;
  taskId: string;
  seed?: number;
}): number {
  const { medianMs, spread, taskId } = options;
  if (spread <= 0) return medianMs;
  const digest = createHash('sha256')
    .update(`${options.seed ?? 0}:${taskId}`)
    .digest();
  // Two uniforms in (0, 1] and [0, 1), then Box–Muller for one standard normal.
  const first = (digest.readUInt32BE(0) + 1) / 2 ** 32;
  const second = digest.readUInt32BE(4) / 2 ** 32;
  const normal = Math.sqrt(-2 * Math.log(first)) * Math.cos(2 * Math.PI * second);
  return Math.max(0, Math.round(medianMs * Math.exp(spread * normal)));
}
