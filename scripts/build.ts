/**
 * `npm run build`: compiles src/ (the simulated providers in src/simulated included) to ESM JavaScript with declarations in dist/, copies the files they read at run
 * time, and prebuilds the workflow bundle next to the compiled worker so a worker starts without
 * running webpack.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
/** Non-TypeScript files that compiled code reads relative to itself. */
const ASSETS = ['src/simulated/sample.mp4'];

await rm(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

for (const asset of ASSETS) {
  await mkdir(dirname(join(dist, asset)), { recursive: true });
  await cp(join(root, asset), join(dist, asset));
}

// Bundled from the compiled JavaScript: exactly the workflow code that ships.
// The interceptor modules (tracing, job metrics) are part of the bundle: a prebuilt bundle
// ignores the worker's interceptors.workflowModules. Two bundles: a worker with tracing off
// loads the one without OpenTelemetry's workflow interceptors (src/worker.ts).
const { workflowInterceptorModules } = (await import(
  pathToFileURL(join(dist, 'src/observability/worker-telemetry.js')).href
)) as typeof import('../src/observability/worker-telemetry.js');
for (const [file, traced] of [
  ['workflow-bundle.js', true],
  ['workflow-bundle-untraced.js', false],
] as const) {
  const bundle = await bundleWorkflowCode({
    workflowsPath: join(dist, 'src/workflows/index.js'),
    workflowInterceptorModules: workflowInterceptorModules(traced),
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (message) => console.warn(message),
      error: (message) => console.error(message),
    },
  });
  await writeFile(join(dist, 'src', file), bundle.code);
  console.error(`built dist/src/${file} (${(bundle.code.length / 1024).toFixed(0)} KiB)`);
}
