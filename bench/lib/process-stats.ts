import { readFileSync } from 'node:fs';

/** Resident memory and CPU time of a process, read from /proc (Linux). */
export interface ProcessSample {
  rssBytes: number;
  cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return {
      rssBytes: rssPages * PAGE_SIZE,
      cpuSeconds: (userTicks + systemTicks) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** Samples a process every interval and keeps the peak RSS; stop() returns the summary. */
export function monitorProcess(pid: number, intervalMs = 200) {
  const first = sampleProcess(pid);
  let peakRss = first?.rssBytes ?? 0;
  let last = first;
  const timer = setInterval(() => {
    const sample = sampleProcess(pid);
    if (!sample) return;
    last = sample;
    peakRss = Math.max(peakRss, sample.rssBytes);
  }, intervalMs);
  return {
    stop(): { startRssBytes: number; peakRssBytes: number; cpuSeconds: number } {
      clearInterval(timer);
      const end = sampleProcess(pid) ?? last;
      return {
        startRssBytes: first?.rssBytes ?? 0,
        peakRssBytes: Math.max(peakRss, end?.rssBytes ?? 0),
        cpuSeconds: (end?.cpuSeconds ?? 0) - (first?.cpuSeconds ?? 0),
      };
    },
  };
}

export function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

export function megabytes(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}
