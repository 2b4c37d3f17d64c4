import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident memory and CPU time of a process and every process below it, read from /proc
 * (Linux). The tree, not just the pid: a launcher that re-spawns node (the tsx CLI does) would
 * otherwise be measured instead of the worker it started.
 */
export interface ProcessSample {
  rssBytes: number;
  cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

interface StatFields {
  parent: number;
  /** User + system CPU of the process itself and of its children it has waited for. */
  cpuTicks: number;
  rssPages: number;
}

/** The fields of a /proc stat file after the command name, or undefined where it is missing. */
function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function readStat(pid: number): StatFields | undefined {
  const fields = statFields(`/proc/${pid}/stat`);
  if (!fields) return undefined;
  return {
    parent: Number(fields[1]),
    // utime, stime, cutime, cstime
    cpuTicks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    rssPages: Number(fields[21]),
  };
}

/**
 * CPU time (user + system) of this process's main thread alone, the one running the event loop,
 * or undefined where /proc is missing.
 */
export function eventLoopCpuSeconds(): number | undefined {
  const fields = statFields(`/proc/self/task/${process.pid}/stat`);
  if (!fields) return undefined;
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The pid and its living descendants. */
function processTree(root: number): Map<number, StatFields> {
  const all = new Map<number, StatFields>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.set(Number(entry), stat);
  }
  const tree = new Map<number, StatFields>();
  const rootStat = all.get(root);
  if (!rootStat) return tree;
  tree.set(root, rootStat);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, stat] of all) {
      if (!tree.has(pid) && tree.has(stat.parent)) {
        tree.set(pid, stat);
        grew = true;
      }
    }
  }
  return tree;
}

export function sampleProcess(pid: number): ProcessSample | undefined {
  const tree = processTree(pid);
  if (tree.size === 0) return undefined;
  let ticks = 0;
  let pages = 0;
  for (const stat of tree.values()) {
    ticks += stat.cpuTicks;
    pages += stat.rssPages;
  }
  return { rssBytes: pages * PAGE_SIZE, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}

/** Samples a process tree every interval and keeps the peak RSS; stop() returns the summary. */
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
    /** The current sample, without stopping. */
    now(): ProcessSample | undefined {
      return sampleProcess(pid) ?? last;
    },
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

/** The middle value; with an even count, the mean of the two middle ones. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function megabytes(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}
