import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FakeProviderServer } from '../src/simulated/fake-server.js';
import { runProbeProcess } from './lib/probe-process.js';
import { median, megabytes } from './lib/process-stats.js';
import { markdownTable, type Target } from './lib/report.js';

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./download-probe.ts', import.meta.url));
const CEILING_PROBE = fileURLToPath(new URL('./download-ceiling-probe.ts', import.meta.url));
const WORK_PROBE = fileURLToPath(new URL('./download-work-probe.ts', import.meta.url));
const HASH_PROBE = fileURLToPath(new URL('./download-hash-probe.ts', import.meta.url));
const DISK_PROBE = fileURLToPath(new URL('./disk-write-probe.ts', import.meta.url));
const MB = 1024 * 1024;

export interface DownloadBenchmark {
  fileMb: number;
  runs: number;
  /** Medians over the runs. */
  klingflowMbPerSecond: number;
  ceilingMbPerSecond: number;
  curlMbPerSecond: number;
  /** The same work (read, sha256, write, fsync) written plainly: see download-work-probe.ts. */
  plainWorkMbPerSecond: number;
  /** Median of each run's klingflow / ceiling, both measured back to back in that run. */
  ratio: number;
  /** Median of each run's plain work / ceiling: what the work itself allows, written simply. */
  plainWorkRatio: number;
  /** Median of each run's klingflow / plain work: what klingflow's own code costs on top. */
  klingflowVsPlainWork: number;
  /** undici and sha256 on the event loop, nothing written: see download-hash-probe.ts. */
  hashOnlyMbPerSecond: number;
  /** Median of each run's hash only / ceiling: the most a step hashing on the event loop gets. */
  hashOnlyRatio: number;
  hashOnlyCpuSeconds: number;
  hashOnlyEventLoopCpuSeconds: number;
  /** The same writes and syncs from memory, no network: see disk-write-probe.ts. */
  diskMbPerSecond: number;
  /** Median of each run's disk alone / ceiling, and the slowest and fastest run's. */
  diskRatio: number;
  diskRatioRange: [number, number];
  diskCpuSeconds: number;
  diskEventLoopCpuSeconds: number;
  /** Lowest and highest per-run ratio: how much the shared machine moved the runs. */
  ratioRange: [number, number];
  /** Median CPU seconds (every thread of the process) of one run of each. */
  klingflowCpuSeconds: number;
  ceilingCpuSeconds: number;
  plainWorkCpuSeconds: number;
  /** Median CPU seconds of the event loop's thread alone: reading and hashing run there. */
  klingflowEventLoopCpuSeconds: number;
  ceilingEventLoopCpuSeconds: number;
  /** Median CPU seconds the fake server (this process) spent serving one klingflow run. */
  serverCpuSeconds: number;
  /** Median of each run's ceiling CPU / klingflow CPU: what the machine's load moves least. */
  cpuRatio: number;
  rssGrowthMb: number;
  rssGrowthRangeMb: [number, number];
  ceilingRssGrowthMb: number;
  sha256Verified: boolean;
  /** Load average over the last minute when the runs began and ended. */
  loadAverage: [number, number];
}

interface ProbeResult {
  seconds: number;
  cpuSeconds: number;
  /** Absent where /proc is missing. */
  eventLoopCpuSeconds?: number;
  bytes: number;
  rssGrowthBytes: number;
  sha256?: string;
}

/**
 * The download step of the activity against Node's ceiling (undici alone reading the same
 * loopback file and discarding it), the two limits under it (sha256 beside undici's parsing with
 * nothing written, and the disk alone), the same work written plainly, and curl, each in its own
 * process. Every run measures the six back to back, so a run's ratios compare them under the
 * same load; medians over `runs`.
 */
export async function measureDownload(options: {
  bytes: number;
  runs: number;
}): Promise<DownloadBenchmark> {
  const fake = new FakeProviderServer({
    name: 'download-bench',
    routes: [],
    authenticate: () => true,
    rejectAuth: () => {},
    videoBytes: options.bytes,
  });
  await fake.start();
  const expected = createHash('sha256').update(fake.videoBuffer).digest('hex');
  const url = `${fake.origin}/files/bench.mp4`;
  const directory = await mkdtemp(join(tmpdir(), 'klingflow-download-bench-'));
  const rate = (seconds: number) => options.bytes / MB / seconds;
  const klingflow: ProbeResult[] = [];
  const ceiling: ProbeResult[] = [];
  const plainWork: ProbeResult[] = [];
  const hashOnly: ProbeResult[] = [];
  const disk: ProbeResult[] = [];
  const curl: number[] = [];
  const serverCpu: number[] = [];
  let verified = true;
  const loadAtStart = loadAverage();
  try {
    for (let index = 0; index < options.runs; index++) {
      const read = await probe(CEILING_PROBE, url);
      verified &&= read.bytes === options.bytes;
      ceiling.push(read);

      const hashed = await probe(HASH_PROBE, url);
      verified &&= hashed.sha256 === expected && hashed.bytes === options.bytes;
      hashOnly.push(hashed);

      const written = await probe(DISK_PROBE, String(options.bytes));
      verified &&= written.bytes === options.bytes;
      disk.push(written);

      const plain = await probe(WORK_PROBE, url);
      verified &&= plain.sha256 === expected && plain.bytes === options.bytes;
      plainWork.push(plain);

      const serving = process.cpuUsage();
      const downloaded = await probe(PROBE, url);
      const served = process.cpuUsage(serving);
      serverCpu.push((served.user + served.system) / 1e6);
      verified &&= downloaded.sha256 === expected && downloaded.bytes === options.bytes;
      klingflow.push(downloaded);

      const target = join(directory, `curl-${index}.mp4`);
      const { stdout } = await run('curl', ['-s', '-o', target, '-w', '%{time_total}', url]);
      curl.push(rate(Number(stdout)));
      verified &&= (await stat(target)).size === options.bytes;
      await rm(target, { force: true });
    }
  } finally {
    await fake.stop();
    await rm(directory, { recursive: true, force: true });
  }
  const versusCeiling = (results: ProbeResult[]) =>
    results.map((result, index) => ceiling[index]!.seconds / result.seconds);
  const ratios = versusCeiling(klingflow);
  const diskRatios = versusCeiling(disk);
  const vsPlain = klingflow.map((result, index) => plainWork[index]!.seconds / result.seconds);
  const cpuRatios = klingflow.map(
    (result, index) => ceiling[index]!.cpuSeconds / result.cpuSeconds,
  );
  const mbPerSecond = (results: ProbeResult[]) =>
    Math.round(median(results.map((result) => rate(result.seconds))));
  const cpuSeconds = (results: ProbeResult[]) =>
    hundredths(median(results.map((result) => result.cpuSeconds)));
  const eventLoopSeconds = (results: ProbeResult[]) =>
    hundredths(median(results.map(eventLoopCpu)));
  return {
    fileMb: Math.round(options.bytes / MB),
    runs: options.runs,
    klingflowMbPerSecond: mbPerSecond(klingflow),
    ceilingMbPerSecond: mbPerSecond(ceiling),
    curlMbPerSecond: Math.round(median(curl)),
    plainWorkMbPerSecond: mbPerSecond(plainWork),
    ratio: hundredths(median(ratios)),
    plainWorkRatio: hundredths(median(versusCeiling(plainWork))),
    klingflowVsPlainWork: hundredths(median(vsPlain)),
    hashOnlyMbPerSecond: mbPerSecond(hashOnly),
    hashOnlyRatio: hundredths(median(versusCeiling(hashOnly))),
    hashOnlyCpuSeconds: cpuSeconds(hashOnly),
    hashOnlyEventLoopCpuSeconds: eventLoopSeconds(hashOnly),
    diskMbPerSecond: mbPerSecond(disk),
    diskRatio: hundredths(median(diskRatios)),
    diskRatioRange: rangeOf(diskRatios),
    diskCpuSeconds: cpuSeconds(disk),
    diskEventLoopCpuSeconds: eventLoopSeconds(disk),
    ratioRange: rangeOf(ratios),
    klingflowCpuSeconds: cpuSeconds(klingflow),
    klingflowEventLoopCpuSeconds: eventLoopSeconds(klingflow),
    ceilingEventLoopCpuSeconds: eventLoopSeconds(ceiling),
    serverCpuSeconds: hundredths(median(serverCpu)),
    ceilingCpuSeconds: cpuSeconds(ceiling),
    plainWorkCpuSeconds: cpuSeconds(plainWork),
    cpuRatio: hundredths(median(cpuRatios)),
    rssGrowthMb: megabytes(median(klingflow.map((result) => result.rssGrowthBytes))),
    rssGrowthRangeMb: [
      megabytes(Math.min(...klingflow.map((result) => result.rssGrowthBytes))),
      megabytes(Math.max(...klingflow.map((result) => result.rssGrowthBytes))),
    ],
    ceilingRssGrowthMb: megabytes(median(ceiling.map((result) => result.rssGrowthBytes))),
    sha256Verified: verified,
    loadAverage: [loadAtStart, loadAverage()],
  };
}

/** Seconds and ratios are reported to the hundredth. */
function hundredths(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The lowest and highest of the runs' ratios. */
function rangeOf(ratios: number[]): [number, number] {
  return [hundredths(Math.min(...ratios)), hundredths(Math.max(...ratios))];
}

function eventLoopCpu(result: ProbeResult): number {
  return result.eventLoopCpuSeconds ?? Number.NaN;
}

function probe(script: string, argument: string): Promise<ProbeResult> {
  return runProbeProcess<ProbeResult>(script, [argument], { nodeFlags: ['--expose-gc'] });
}

/** The BENCHMARKS.md section and its two rows of the targets table. */
export function downloadReport(download: DownloadBenchmark): {
  section: string;
  targets: Target[];
} {
  const section = `## 6. Download

${download.fileMb} MB loopback file; ${download.runs} runs, each measuring the six back to back in
separate processes; medians. Load average ${download.loadAverage[0].toFixed(1)} → ${download.loadAverage[1].toFixed(1)}
on this machine during the runs (it is shared: other processes compete for its cores).

${markdownTable(
  [
    'klingflow MB/s',
    "Node's ceiling (undici alone) MB/s",
    'vs ceiling (range)',
    'same work, plain code MB/s (vs ceiling)',
    'klingflow vs plain work',
    'curl MB/s',
    'CPU s: klingflow / plain work / undici alone',
    'event loop CPU s: klingflow / undici alone',
    'klingflow RSS growth MB (range)',
    'undici alone RSS growth MB',
    'sha256 and size verified',
  ],
  [
    [
      download.klingflowMbPerSecond,
      download.ceilingMbPerSecond,
      `${percent(download.ratio)} (${percent(download.ratioRange[0])}–${percent(download.ratioRange[1])})`,
      `${download.plainWorkMbPerSecond} (${percent(download.plainWorkRatio)})`,
      percent(download.klingflowVsPlainWork),
      download.curlMbPerSecond,
      `${download.klingflowCpuSeconds} / ${download.plainWorkCpuSeconds} / ${download.ceilingCpuSeconds}`,
      `${download.klingflowEventLoopCpuSeconds} / ${download.ceilingEventLoopCpuSeconds}`,
      `${download.rssGrowthMb} (${download.rssGrowthRangeMb[0]}–${download.rssGrowthRangeMb[1]})`,
      download.ceilingRssGrowthMb,
      download.sha256Verified ? 'yes' : 'NO',
    ],
  ],
)}

What bounds the step on this machine, in the same runs (medians; bench/download-hash-probe.ts
and bench/disk-write-probe.ts):

${markdownTable(
  ['reader', 'MB/s', 'vs ceiling', 'CPU s', 'event loop CPU s'],
  [
    [
      "undici alone (Node's ceiling)",
      download.ceilingMbPerSecond,
      '100%',
      download.ceilingCpuSeconds,
      download.ceilingEventLoopCpuSeconds,
    ],
    [
      'undici and sha256 on the event loop, nothing written',
      download.hashOnlyMbPerSecond,
      percent(download.hashOnlyRatio),
      download.hashOnlyCpuSeconds,
      download.hashOnlyEventLoopCpuSeconds,
    ],
    [
      "the disk alone: the step's writes and syncs from memory, no network",
      download.diskMbPerSecond,
      `${percent(download.diskRatio)} (runs ${percent(download.diskRatioRange[0])}–${percent(download.diskRatioRange[1])})`,
      download.diskCpuSeconds,
      download.diskEventLoopCpuSeconds,
    ],
    [
      "klingflow's download step",
      download.klingflowMbPerSecond,
      percent(download.ratio),
      download.klingflowCpuSeconds,
      download.klingflowEventLoopCpuSeconds,
    ],
  ],
)}

klingflow is the activity's download step: undici's body read through 'data' events, each
chunk hashed (sha256) as it arrives and written in ~1 MiB \`writev\` batches (one written while
the next fills), the file synced in the background every 32 MiB so the final fsync has little
left. The ceiling is undici reading the same file and
discarding it. "Same work, plain code" (bench/download-work-probe.ts) is that work and nothing
else: undici's async iterator, sha256, 1 MiB \`writev\` batches, one fsync; no checks, resume or
heartbeats. It tells what the work itself costs on this machine from what klingflow's code adds.
curl (not reachable from JavaScript) is for reference. CPU is user plus system time of every
thread of the process; the event loop's is that of its thread alone, where undici parses the
response and sha256 runs (the thread pool writes and syncs). Each probe runs as
\`node --expose-gc --import tsx\`, so the process measured is the one downloading and its baseline
is taken after a collection. Earlier runs went through the tsx CLI, which runs the script in a
child process without \`--expose-gc\`; the last of them, on 2026-11-30 just before the switch
and on the same machine, measured 48% of the ceiling and 64.2 MB.

Where the step's CPU goes beyond undici alone (500 MB, medians of 5 runs each, measured by hand
on 2026-11-30 with the probe's hashing, writing or syncing switched off, load average 8–10):
our read path 0.79 s against undici's async iterator 0.85 s; sha256 +0.17 s; the copy into the
page cache +0.21 s; the fsync's writeback +0.29 s; in all about 1.4 s against 0.85 s.

A thread that hashes and writes (tried again on 2026-12-01, by hand, 5 runs each): the event loop
hands each ~1 MiB batch of received buffers to a worker thread by transfer, not copy, and the
thread hashes and writes them. Reading and hashing only, it reached 865 MB/s against 694–821 MB/s
with sha256 on the event loop, for about 20% more CPU and 130–150 MB of RSS growth, twice the
target; with the writes and syncs it ran at 329 MB/s against the step's 343 in the same runs.
With the fake server on the same 2 cores, moving sha256 to another core buys little, and the
buffers on their way to the thread cost memory.

Writing is not steady on this machine, a Firecracker virtual machine whose memory balloon hands
freed pages back to the host (free page reporting) and whose ext4 is mounted with \`discard\`.
Measured by hand on 2026-12-01: the disk-alone probe wrote and synced its 500 MB in 0.4–0.5 s or
in 1.3–2.2 s, the difference all system time in the writes; run right after undici alone had
read the file (and freed its 500 MB of buffers), it took 1.3–2.2 s in 4 runs of 4, while runs of
it alone alternated between the two. Touching 20 GB of memory the guest had not used since it
booted took 50 s of system time. So a write into the page cache costs several times more when
the memory under it was just handed back, and each probe here meets that on its own: in a slow
run the step can outrun the disk-alone probe.

The fake provider serves the file from the same 2 cores, so a step that needs more CPU than
undici alone (sha256, the copy into the page cache, the fsync's writeback) gets slower in
proportion, with or without idle cores: sha256 and the read stay on the event loop. 4 MiB
batches cost more system time than 1 MiB ones, and the final fsync took 0.2–0.37 s before the
background syncs (8–60 ms after). Copying each chunk into two reused batches, so that no received
buffer outlives its arrival (tried on 2026-11-30), did not lower the RSS peak: six alternated
runs each peaked at 45.6–66.9 MB with copying and 51.5–66.5 MB without.`;
  return {
    section,
    targets: [
      {
        name: "download vs Node's ceiling",
        target: '≥ 80%',
        measured: `${Math.round(download.ratio * 100)}%`,
        met: download.ratio >= 0.8,
        ...(download.ratio < 0.8
          ? {
              note: ceilingMissedNote(download),
            }
          : {}),
      },
      {
        name: 'download RSS growth',
        target: '≤ 64 MB',
        measured: `${download.rssGrowthMb} MB`,
        met: download.rssGrowthMb <= 64,
        // Met or not, the figure moves with when V8 collects socket buffers: say so.
        note: `${download.rssGrowthMb > 64 ? `missed by ${(download.rssGrowthMb - 64).toFixed(1)} MB: ` : ''}RSS peak of the downloading process, runs ${download.rssGrowthRangeMb[0]}–${download.rssGrowthRangeMb[1]} MB; mostly received socket buffers V8 has not collected yet: it collects them once about 64 MB of new external memory has been allocated since its last collection (\`--trace-gc\` shows 'external memory pressure' scavenges during the download), so any fast reader peaks near 64 MB (undici alone grows by ${download.ceilingRssGrowthMb} MB reading the same file); the activity itself holds about two 1 MiB write batches, and copying chunks into reused batches (tried) did not lower the peak`,
      },
    ],
  };
}

/**
 * Why the step stays under 80% of the ceiling: the CPU it and the fake server would need at that
 * speed against the machine's cores, then how the same work written plainly does.
 */
function ceilingMissedNote(download: DownloadBenchmark): string {
  const secondsAt80 = download.fileMb / (0.8 * download.ceilingMbPerSecond);
  const cpuSeconds = download.klingflowCpuSeconds + download.serverCpuSeconds;
  const cores = cpuSeconds / secondsAt80;
  const machineCores = availableParallelism();
  const budget =
    cores > machineCores
      ? `more than the machine's ${machineCores} cores, which other work shares too`
      : `within the machine's ${machineCores} cores, but only if nothing else ran`;
  const eventLoop =
    download.klingflowEventLoopCpuSeconds > secondsAt80
      ? `; its event loop alone needs ${download.klingflowEventLoopCpuSeconds} s (undici alone ${download.ceilingEventLoopCpuSeconds} s), more than those ${secondsAt80.toFixed(2)} s, since sha256 runs there beside undici's parsing`
      : `; its event loop needs ${download.klingflowEventLoopCpuSeconds} s of them (undici alone ${download.ceilingEventLoopCpuSeconds} s)`;
  const plain =
    download.klingflowVsPlainWork >= 1
      ? `klingflow's step is faster than the same work written plainly (read, sha256, write, fsync; nothing else), which reaches ${percent(download.plainWorkRatio)} of the ceiling: klingflow runs at ${percent(download.klingflowVsPlainWork)} of its speed`
      : `the same work written plainly (read, sha256, write, fsync; nothing else) reaches ${percent(download.plainWorkRatio)} of the ceiling, and klingflow's step runs at ${percent(download.klingflowVsPlainWork)} of its speed`;
  return `missed by ${Math.round((0.8 - download.ratio) * 100)} points (runs ${percent(download.ratioRange[0])}–${percent(download.ratioRange[1])}, load average ${download.loadAverage[0].toFixed(1)}–${download.loadAverage[1].toFixed(1)}): at 80% of the ceiling the step reads the file in ${secondsAt80.toFixed(2)} s, and it needs ${download.klingflowCpuSeconds} CPU s (undici alone ${download.ceilingCpuSeconds} s) while the fake server needs ${download.serverCpuSeconds} s to serve it: ${cores.toFixed(1)} cores, ${budget}${eventLoop}; ${plain}; ${bounds(download)} (section 6). A thread that hashes and writes the received buffers (handed over without copying; tried) was no faster than the step and used more CPU`;
}

/** The two limits measured beside the step: sha256 where undici parses, and the disk. */
function bounds(download: DownloadBenchmark): string {
  const hashing =
    download.hashOnlyRatio < 0.8
      ? `undici and sha256 alone, nothing written, reach ${percent(download.hashOnlyRatio)} of the ceiling: no step that hashes on the event loop beside undici's parsing reaches 80% here`
      : `undici and sha256 alone, nothing written, reach ${percent(download.hashOnlyRatio)} of the ceiling`;
  const disk = `the disk alone, writing and syncing the same bytes from memory, ran at ${download.diskMbPerSecond} MB/s (${percent(download.diskRatio)} of the ceiling, runs ${percent(download.diskRatioRange[0])}–${percent(download.diskRatioRange[1])})${download.diskRatio < 0.8 ? ': the writes alone stay under 80% here' : ''}`;
  return `${hashing}; ${disk}`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

// `npx tsx bench/download.ts [MB] [RUNS]` measures only the download and prints the section.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureDownload({
    bytes: Number(process.argv[2] ?? 500) * MB,
    runs: Number(process.argv[3] ?? 5),
  });
  const report = downloadReport(result);
  console.log(JSON.stringify(result));
  console.log(report.section);
  for (const target of report.targets) console.log(JSON.stringify(target));
}
