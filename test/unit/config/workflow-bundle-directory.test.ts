import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSettings } from '../../../src/config/environment.js';
import type { KlingflowTracing } from '../../../src/observability/tracing.js';
import { prebuiltBundleIn } from '../../../src/worker.js';

describe('KLINGFLOW_WORKFLOW_BUNDLE_DIR', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-bundles-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('is read as an absolute path, and unset means no prebuilt bundle', () => {
    expect(readSettings({ KLINGFLOW_WORKFLOW_BUNDLE_DIR: directory }).workflowBundleDirectory).toBe(
      directory,
    );
    expect(readSettings({}).workflowBundleDirectory).toBeUndefined();
    expect(prebuiltBundleIn(undefined, undefined)).toBeUndefined();
  });

  it('gives the bundle that matches the worker’s tracing', async () => {
    await writeFile(join(directory, 'workflow-bundle-untraced.js'), '');
    await writeFile(join(directory, 'workflow-bundle.js'), '');
    expect(prebuiltBundleIn(directory, undefined)).toEqual({
      codePath: join(directory, 'workflow-bundle-untraced.js'),
    });
    expect(prebuiltBundleIn(directory, {} as KlingflowTracing)).toEqual({
      codePath: join(directory, 'workflow-bundle.js'),
    });
  });

  it('refuses a directory without the bundle, naming the variable', () => {
    expect(() => prebuiltBundleIn(directory, undefined)).toThrow(
      /KLINGFLOW_WORKFLOW_BUNDLE_DIR.*workflow-bundle-untraced\.js/,
    );
  });
});
