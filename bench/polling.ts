/**
 * `npx tsx bench/polling.ts`: only the polling-policy comparison (bench/polling-policies.ts),
 * written into BENCHMARKS.md (its section and its targets row). Sizes:
 *   BENCH_POLL_JOBS=30 BENCH_POLL_SPREAD=0.1 npx tsx bench/polling.ts
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startBenchDevServer } from './lib/bench-dev-server.js';
import { targetsTable, upsertSection } from './lib/report.js';
import {
  comparePollingPolicies,
  POLLING_SECTION_TITLE,
  POLLING_TARGET_NAME,
  pollingSection,
  pollingTarget,
  upsertTargetRow,
} from './polling-policies.js';

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const log = (message: string) => console.error(`[bench] ${message}`);
const { server, directory, metricsUrl } = await startBenchDevServer('polling');
try {
  const comparison = await comparePollingPolicies({
    address: server.address,
    metricsUrl,
    jobs: Number(process.env.BENCH_POLL_JOBS ?? 30),
    spread: Number(process.env.BENCH_POLL_SPREAD ?? 0.1),
    log,
  });
  const section = pollingSection(comparison);
  console.log(section);
  const target = pollingTarget(comparison);
  const row = targetsTable([target]).split('\n')[2] ?? '';
  console.log(row);
  const document = await readFile(OUTPUT, 'utf8');
  const withSection = upsertSection(
    document,
    POLLING_SECTION_TITLE,
    section,
    nextSectionTitle(document),
  );
  await writeFile(OUTPUT, upsertTargetRow(withSection, row, POLLING_TARGET_NAME));
  log(`wrote ${OUTPUT}`);
} finally {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
}

/** The section after "2. Cost per job", where the comparison belongs. */
function nextSectionTitle(document: string): string {
  const heading = document.split('\n').find((line) => line.startsWith('## 3. '));
  return heading ? heading.slice(3).trim() : 'Soak';
}
