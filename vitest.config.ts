import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/setup/longest-first-sequencer.js';

export default defineConfig({
  test: {
    // The Temporal native bridge crashes under worker threads: run test files in child processes.
    pool: 'forks',
    // Vitest's default is one file at a time on a 2-core machine; the integration files mostly
    // wait on renders, polls, timers and child processes. Two at a time left the cores idle for a
    // third of the run once the CPU-heavy 2,000-item batch was done; three finish about 30 s
    // sooner on the 2-core machine (423 → 394 s).
    maxWorkers: 3,
    // Each fork runs file after file in one process: a fresh process per file re-imported the
    // Temporal SDK and its native bridge each time (about 70 CPU seconds a run, on 2 cores). Files
    // share no state: each test builds its own stack, and env stubs and spies are restored.
    isolate: false,
    // Longest file first, from a committed list of what each file costs on CI: the long files
    // start at once and the short ones fill in at the end, so the forks finish together.
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run restate the counts in the plain form CI reads.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // One real Temporal dev server and one S3-compatible server (gofakes3) for the whole
          // run, shared by every integration file.
          globalSetup: ['test/setup/temporal-dev-server.ts', 'test/setup/s3-server.ts'],
          // Workers log at WARN unless KLINGFLOW_TEST_LOG=debug.
          setupFiles: ['test/setup/quiet-logs.ts'],
        },
      },
    ],
  },
});
