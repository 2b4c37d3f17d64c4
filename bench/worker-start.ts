/**
 * `npx tsx bench/worker-start.ts`: how long `klingflow worker` takes from process start until it
 * polls, run from the TypeScript sources (tsx, workflow code bundled with webpack at start) and
 * from the compiled package (dist/, prebuilt workflow bundle). Writes the "Worker start" section
 * of BENCHMARKS.md. Builds dist/ first when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchDevServer } from './lib/bench-dev-server.js';
import { machineDescription, markdownTable, upsertSection } from './lib/report.js';
import { spawnNode } from './lib/worker-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUTPUT = join(root, 'BENCHMARKS.md');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const variants = [
  { name: 'sources (tsx, bundled at start)', args: [join(root, 'bin/klingflow.js'), 'worker'] },
  {
    name: 'compiled dist/ (prebuilt bundle)',
    args: [join(root, 'dist/src/cli/main.js'), 'worker'],
  },
];

if (!existsSync(join(root, 'dist/src/workflow-bundle.js'))) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const { server, directory } = await startBenchDevServer('start');
const rows: (string | number)[][] = [];
try {
  for (const variant of variants) {
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      // No provider key: the simulated providers start in both variants alike.
      const worker = spawnNode(variant.args, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KLINGFLOW_SIMULATED: '1',
        TEMPORAL_ADDRESS: server.address,
        KLINGFLOW_TASK_QUEUE: `bench-start-${run}`,
        KLINGFLOW_STORAGE_DIR: join(directory, 'videos'),
      });
      await worker.waitFor('worker connected to', 120_000);
      samples.push(performance.now() - started);
      await worker.kill('SIGTERM');
    }
    samples.sort((left, right) => left - right);
    const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
    rows.push([variant.name, RUNS, Math.round(median), Math.round(samples.at(-1) ?? Number.NaN)]);
    console.error(`[bench] ${variant.name}: median ${Math.round(median)} ms`);
  }
} finally {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
}

const section = `## Worker start time

Written by \`npx tsx bench/worker-start.ts\` on ${new Date().toISOString().slice(0, 10)}. Machine:
${machineDescription()}. From spawning \`klingflow worker\` until it is connected and polling (simulated
providers, local dev server). The compiled package loads the workflow bundle that \`npm run build\`
prebuilt instead of running webpack over the workflow sources at every start.

${markdownTable(['variant', 'runs', 'median ms', 'max ms'], rows)}
`;
const document = await readFile(OUTPUT, 'utf8');
await writeFile(OUTPUT, upsertSection(document, 'Worker start time', section, 'Soak'));
console.error(`[bench] wrote ${OUTPUT}`);
