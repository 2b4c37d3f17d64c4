import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each slow test file took on the 2-core CI machine (vitest's own per-file durations,
 * hooks included, from a fresh-clone `.ci/run`; node_modules/.vite/vitest/<hash>/results.json).
 * Rounded; only the order they give matters. Refresh when a file's cost changes a lot.
 */
export const KNOWN_SECONDS: Record<string, number> = {
  'test/integration/batch-large.test.ts': 219,
  'test/e2e/package-install.test.ts': 112,
  'test/e2e/cli.test.ts': 89,
  'test/e2e/worker-crash.test.ts': 60,
  'test/e2e/soak-short.test.ts': 54,
  'test/e2e/cli-id-reuse.test.ts': 50,
  'test/integration/batch.test.ts': 42,
  'test/integration/replay.test.ts': 40,
  'test/e2e/bad-input-sweep.test.ts': 37,
  'test/integration/dev-server-lifecycle.test.ts': 32,
  'test/e2e/worker-crash-submit.test.ts': 25,
  'test/integration/worker-metrics.test.ts': 20,
  'test/e2e/worker-graceful-stop.test.ts': 20,
  'test/e2e/money-safety.test.ts': 18,
  'test/integration/generation-branches.test.ts': 16,
  'test/integration/examples.test.ts': 16,
  'test/integration/workflow-paths.test.ts': 15,
  'test/integration/history-cost.test.ts': 14,
  'test/integration/notifications.test.ts': 13,
  'test/integration/secrets.test.ts': 13,
  'test/e2e/server-restart.test.ts': 12,
  'test/integration/worker-health.test.ts': 8,
  'test/integration/provider-limits.test.ts': 8,
  'test/unit/providers/resend-allow-list.test.ts': 8,
  'test/integration/fal-replicate.test.ts': 7,
  'test/integration/go-launcher.test.ts': 7,
  'test/integration/learned-first-poll.test.ts': 7,
  'test/integration/worker-json-logs.test.ts': 7,
  'test/integration/generate-video.test.ts': 6,
  'test/integration/storage-contract.test.ts': 5,
  'test/integration/webhooks.test.ts': 5,
};

/** A file not listed yet: integration files start real servers and processes, unit files don't. */
const UNLISTED_SECONDS = { integration: 5, unit: 0.5 };

/** The expected cost of one test file, in seconds. */
export function expectedSeconds(file: string): number {
  return (
    KNOWN_SECONDS[file] ??
    (file.startsWith('test/unit/') ? UNLISTED_SECONDS.unit : UNLISTED_SECONDS.integration)
  );
}

/**
 * Longest file first, across both projects. The forks take files from this list in order, so the
 * long files start at once and the short ones fill in at the end: the forks finish together.
 * Vitest's own order needs its duration cache, which a fresh clone (CI) does not have; without
 * it, it goes by file size and runs the projects one after the other, so a long file with little
 * code can start late and leave the other fork idle at the end.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const key = (file: TestSpecification) => relative(root, file.moduleId).split('\\').join('/');
    const out = [...files].sort(
      (a, b) =>
        expectedSeconds(key(b)) - expectedSeconds(key(a)) ||
        (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0),
    );
    return out;
  }
}
