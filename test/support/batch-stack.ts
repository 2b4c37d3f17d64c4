import { readFile } from 'node:fs/promises';
import type { Connection } from '@temporalio/client';
import { afterEach, expect } from 'vitest';
import type { BatchEntry } from '../../src/client/batch-file.js';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { createFilesystemStorage } from '../../src/storage/filesystem-storage.js';
import { createIntegrationContext, type IntegrationContext } from './stack.js';

/**
 * The batch tests' stack (test/integration/batch*.test.ts): an integration context with the
 * provider fakes, and a KlingflowClient on its task queue and storage. Call in a describe block;
 * each test's stack is torn down after it.
 */
export function useBatchStack() {
  let context: IntegrationContext | undefined;

  afterEach(async () => {
    await context?.teardown();
    context = undefined;
  });

  return async function setUp(options: { renderMs?: number; providers?: ProviderId[] } = {}) {
    const providers = options.providers ?? ['hyprlab'];
    context = await createIntegrationContext({
      providers,
      ...(options.renderMs !== undefined ? { renderMs: options.renderMs } : {}),
    });
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: createFilesystemStorage({ rootDirectory: context.storageDirectory }),
      availableProviders: providers,
    });
    return { context, client, fake: context.providers.fakes.hyprlab };
  };
}

/** `count` batch lines, numbered from 1, each a kling-v1.6 request. */
export function batchEntries(
  count: number,
  extra: Partial<BatchEntry['request']> = {},
): BatchEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    line: index + 1,
    request: { prompt: `shot ${index + 1}: a lighthouse at dusk`, model: 'kling-v1.6', ...extra },
  }));
}

/** A batch id no other test (or earlier run on the shared server) uses. */
export function uniqueBatchId(name: string): string {
  return `${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The JSONL manifest's lines, parsed. */
export async function readManifest(path: string | undefined): Promise<Record<string, unknown>[]> {
  expect(path, 'the batch wrote no manifest').toBeDefined();
  const text = await readFile(path!, 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
