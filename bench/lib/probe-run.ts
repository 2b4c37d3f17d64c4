import { eventLoopCpuSeconds } from './process-stats.js';

/**
 * Times one run inside a probe process and records this process's RSS growth over it (peak
 * minus a baseline taken after a forced collection, sampled every 20 ms) and its CPU time (all
 * threads, and the event loop's thread alone), then
 * prints the JSON line the benchmark reads. Both download probes use it, so they are measured the
 * same way.
 */
export async function probeRun<T extends object>(run: () => Promise<T>): Promise<void> {
  const collect = globalThis.gc;
  // Without a collection first, the baseline would include garbage the run then frees.
  if (!collect) throw new Error('a download probe needs node --expose-gc');
  collect();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const cpuBefore = process.cpuUsage();
  const eventLoopBefore = eventLoopCpuSeconds();
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const eventLoopAfter = eventLoopCpuSeconds();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  // CPU of every thread (event loop and thread pool): what the run cost, whatever the load.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const eventLoop =
    eventLoopBefore === undefined || eventLoopAfter === undefined
      ? {}
      : { eventLoopCpuSeconds: eventLoopAfter - eventLoopBefore };
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds,
      ...eventLoop,
      rssGrowthBytes: peak - baseline,
      ...result,
    }),
  );
}
