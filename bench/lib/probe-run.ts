/**
 * Times one run inside a probe process and records this process's RSS growth over it (peak
 * minus a baseline taken after a forced collection, sampled every 20 ms), then prints the JSON
 * line the benchmark reads. Both download probes use it, so they are measured the same way.
 */
export async function probeRun<T extends object>(run: () => Promise<T>): Promise<void> {
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(JSON.stringify({ seconds, rssGrowthBytes: peak - baseline, ...result }));
}
