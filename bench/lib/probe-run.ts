/**
 * Times one run inside a probe process and records this process's RSS growth over it (peak
 * minus a baseline taken after a forced collection, sampled every 20 ms) and its CPU time, then
 * prints the JSON line the benchmark reads. Both download probes use it, so they are measured the
 * same way.
 */
export async function probeRun<T extends object>(run: () => Promise<T>): Promise<void> {
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  // CPU of every thread (event loop and thread pool): what the run cost, whatever the load.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ seconds, cpuSeconds, rssGrowthBytes: peak - baseline, ...result }));
}
