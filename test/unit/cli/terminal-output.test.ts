import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBatchProgress, plainLine } from '../../../src/cli/batch-progress.js';
import { summariseBatch } from '../../../src/cli/commands/batch.js';
import { note, printJson, summarise } from '../../../src/cli/output.js';
import { createProgressReporter } from '../../../src/cli/progress-reporter.js';
import { spendLine } from '../../../src/cli/spend-summary.js';
import { minimalBatchStatus } from '../../../src/client/batch-status.js';
import type { BatchStatus } from '../../../src/contracts/batch.js';
import type { GenerationStatus } from '../../../src/contracts/generation.js';

/** What a hostile provider might put in an error: set the title, recolour, rewrite the line. */
const HOSTILE = 'bad\x1b]0;pwned\x07 \x1b[31mred\x1b[0m\rOK\u202eevil\x9b2J';

const status: GenerationStatus = {
  workflowId: 'job-1',
  status: 'failed',
  phase: 'done',
  provider: 'kling',
  model: 'kling-v1.6',
  mode: 'std',
  videos: [],
  attempts: [
    { provider: 'kling', outcome: 'failed', errorKind: 'invalid-request', error: HOSTILE },
  ] as GenerationStatus['attempts'],
  error: HOSTILE,
  spend: { usd: 0, byUnit: {}, tasks: [] },
  polls: 3,
  startedAt: '2026-01-01T00:00:00.000Z',
  elapsedMs: 1000,
  warnings: [HOSTILE],
};

/** Control and format characters other than newline and tab. */
const UNSAFE = /(?![\n\t])[\p{Cc}\p{Cf}]/u;

function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('provider text on a terminal', () => {
  it('summarise drops escape sequences and control characters but keeps the words', () => {
    const text = summarise(status);

    expect(text).not.toMatch(UNSAFE);
    expect(text).toContain('bad red');
    expect(text).toContain('OKevil');
    expect(text.split('\n').length).toBeGreaterThan(3);
  });

  it('progress lines and batch lines are made safe too', () => {
    const progress = capture(false);
    const reporter = createProgressReporter(progress.stream);
    reporter.update({ ...status, workflowId: `job\x1b[2J${HOSTILE}`, status: 'running' });
    expect(progress.text()).not.toMatch(UNSAFE);
    expect(progress.text().endsWith('\n')).toBe(true);

    const batch = { batchId: `b\x1b[2J${HOSTILE}`, total: 1 } as BatchStatus;
    const line = plainLine(
      { ...batch, succeeded: 0, failed: 0, skipped: 0, running: 1, pending: 0, estimatedSpend: 0 },
      undefined,
    );
    expect(line).not.toMatch(UNSAFE);
  });

  it('notes (errors) on stderr are made safe', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    note(`submit failed: ${HOSTILE}`);
    expect(written.join('')).not.toMatch(UNSAFE);
    expect(written.join('')).toMatch(/^klingflow: submit failed: bad red/);
  });

  it('JSON output stays exact: the escapes survive as JSON escapes', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    printJson(status);
    expect(written.join('')).not.toContain('\x1b');
    expect((JSON.parse(written.join('')) as GenerationStatus).error).toBe(HOSTILE);
  });
});

describe('the summary of a finished job', () => {
  const video = {
    path: 's3://videos/prod/job-1.mp4',
    sha256: 'ab'.repeat(32),
    bytes: 9408,
    sourceUrl: 'https://cdn.example/x.mp4',
  };
  const succeeded: GenerationStatus = {
    ...status,
    status: 'succeeded',
    attempts: [],
    warnings: [],
    videos: [video],
  };

  it('shows a presigned URL under its video (generate --presign without --json)', () => {
    const url = 'http://127.0.0.1:9000/videos/prod/job-1.mp4?X-Amz-Signature=abc';
    const lines = summarise({ ...succeeded, videos: [{ ...video, url }] }).split('\n');
    const at = lines.findIndex((line) => line.startsWith('  video: s3://videos/prod/job-1.mp4'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe(`    url: ${url}`);
    expect(summarise(succeeded)).not.toContain('url:');
  });

  it('says what became of the completion notification', () => {
    const delivered = summarise({
      ...succeeded,
      notification: {
        url: 'https://hooks.example/done',
        webhookId: 'msg_1',
        state: 'delivered',
        attempts: 1,
      },
    });
    expect(delivered).toContain(
      '  notification: delivered to https://hooks.example/done (1 attempt)',
    );

    const failed = summarise({
      ...succeeded,
      notification: {
        url: 'https://hooks.example/done',
        webhookId: 'msg_1',
        state: 'failed',
        attempts: 10,
        lastError: 'HTTP 503',
      },
    });
    expect(failed).toContain(
      '  notification: failed after 10 attempts to https://hooks.example/done: HTTP 503',
    );
  });
});

describe('a running job whose step keeps failing', () => {
  const running: GenerationStatus = {
    ...status,
    status: 'running',
    phase: 'downloading',
    attempts: [{ provider: 'kling', outcome: 'running' }] as GenerationStatus['attempts'],
    warnings: [],
    retrying: {
      activity: 'downloadVideoToStorage',
      failedAttempts: 4,
      error: 'connect ECONNREFUSED 127.0.0.1:9555',
      nextAttemptAt: '2026-01-01T00:01:00.000Z',
    },
  };
  delete running.error;

  it('the summary names the step, its failed attempts and the last error', () => {
    const text = summarise(running);
    expect(text).toContain(
      '  retrying: downloadVideoToStorage after 4 attempts failed (next at 2026-01-01T00:01:00.000Z): connect ECONNREFUSED 127.0.0.1:9555',
    );
    // Where the job is and for how long; the attempt under way is the provider line already.
    expect(text.split('\n')[0]).toBe('job-1: running (downloading, 1s)');
    expect(text).not.toContain('running kling');
  });

  it('the progress line says it is retrying, and a new failure count prints a new line', () => {
    const { stream, text } = capture(false);
    const reporter = createProgressReporter(stream);
    reporter.update(running);
    reporter.update(running);
    reporter.update({ ...running, retrying: { ...running.retrying!, failedAttempts: 5 } });
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(
      '· retrying downloadVideoToStorage (4 failed: connect ECONNREFUSED 127.0.0.1:9555)',
    );
  });
});

describe('the summary of a finished batch', () => {
  it('lists its items and says what became of its notification', () => {
    const text = summariseBatch({
      batchId: 'b1',
      workflowId: 'batch-b1',
      total: 1,
      succeeded: 1,
      failed: 0,
      skipped: 0,
      stoppedByBudget: false,
      estimatedSpend: 0.2,
      spend: { usd: 0.2, byUnit: { USD: 0.2 } },
      manifestPath: '/videos/batches/b1.jsonl',
      runs: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      items: [
        {
          key: '1',
          line: 1,
          workflowId: 'b1-1-1',
          status: 'succeeded',
          provider: 'hyprlab',
          videos: ['/videos/b1-1-1.mp4'],
        },
      ],
      notification: {
        url: 'https://hooks.example/batch',
        webhookId: 'msg_2',
        state: 'delivered',
        attempts: 2,
      },
    }).split('\n');
    expect(text).toEqual([
      'batch b1: 1 succeeded, 0 failed, 0 skipped of 1',
      '  spend: $0.20 (estimated $0.20)',
      '  manifest: /videos/batches/b1.jsonl',
      '  notification: delivered to https://hooks.example/batch (2 attempts)',
      '  line 1: succeeded hyprlab /videos/b1-1-1.mp4',
    ]);
  });
});

describe('work that no worker answers for', () => {
  it('a job summary says where it waits and what to do, and claims no spend', () => {
    const waiting: GenerationStatus = {
      ...status,
      status: 'running',
      phase: 'planning',
      attempts: [],
      warnings: [],
      waitingForWorker: { taskQueue: 'renders', workersPolling: false },
    };
    expect(summarise(waiting)).toContain(
      '  waiting for a worker: none is polling task queue "renders" (start `klingflow worker` with KLINGFLOW_TASK_QUEUE=renders, or check that the workers are up); attempts and spend show once one answers',
    );
    // Workers poll, but none took the query up: a different problem, said differently.
    expect(
      summarise({ ...waiting, waitingForWorker: { taskQueue: 'renders', workersPolling: true } }),
    ).toContain(
      `  waiting for a worker: workers poll task queue "renders" but none answered within Temporal's query timeout (overloaded, stopping, or failing this workflow's tasks: see their logs)`,
    );
  });

  it('batch progress says so once instead of counting nothing', () => {
    const { stream, text } = capture(false);
    const progress = createBatchProgress({ stream, plainIntervalMs: 0 });
    const waiting: BatchStatus = {
      ...minimalBatchStatus({
        batchId: 'b1',
        workflowId: 'batch-b1',
        state: 'running',
        startedAt: '2026-01-01T00:00:00.000Z',
      }),
      total: 2,
      pending: 2,
      waitingForWorker: { taskQueue: 'renders', workersPolling: false },
    };
    progress.update(waiting);
    progress.update(waiting);
    const { waitingForWorker: _, ...answered } = waiting;
    progress.update({ ...answered, running: 2, pending: 0 });
    progress.finish();
    const lines = text().trim().split('\n');
    expect(lines[0]).toBe(
      'batch b1: 2 items waiting for a worker: none is polling task queue "renders" (start `klingflow worker` with KLINGFLOW_TASK_QUEUE=renders, or check that the workers are up)',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('batch b1: 0/2 done');
  });
});

describe('a job waiting for a provider slot', () => {
  it('says which provider, its limit, and that nothing is submitted yet', () => {
    const waiting: GenerationStatus = {
      ...status,
      status: 'running',
      phase: 'submitting',
      attempts: [],
      warnings: [],
      waitingForSlot: { provider: 'hyprlab', limit: 5 },
    };
    expect(summarise(waiting)).toContain(
      '  waiting for a hyprlab slot: 5 in flight is its limit (KLINGFLOW_PROVIDER_CONCURRENCY); nothing is submitted yet',
    );
    const { stream, text } = capture(false);
    createProgressReporter(stream).update(waiting);
    expect(text()).toContain('· waiting for a hyprlab slot (limit 5)');
  });
});

describe('the spend line of a job summary', () => {
  const spend = { usd: 0, byUnit: {}, tasks: [] };

  it('says an unreadable ledger is unknown, leaves a job waiting for a worker without one, else sums it', () => {
    expect(spendLine({ spend, spendUnknown: true })).toBe(
      "  spend: unknown (no worker could read the job's state back: the provider's dashboard shows what it created)",
    );
    expect(spendLine({ spend, waitingForWorker: { taskQueue: 'q', workersPolling: false } })).toBe(
      undefined,
    );
    expect(spendLine({ spend })).toBe('  spend: $0.00 (no provider task was created)');
  });
});
