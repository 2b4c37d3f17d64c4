/**
 * Run a small batch with the typed client: three videos, two at a time, under a $1 budget.
 * Run with a klingflow worker reachable at TEMPORAL_ADDRESS (e.g. `npx klingflow dev`):
 *   npx tsx examples/batch-from-code.ts
 */
import { KlingflowClient } from 'klingflow';

const client = await KlingflowClient.connect();
try {
  const prompts = ['a fox in snow', 'a heron at dawn', 'a lighthouse in a storm'];
  const { batchId } = await client.startBatch(
    prompts.map((prompt, index) => ({
      id: `shot-${index + 1}`,
      request: { prompt, model: 'kling-v2.6' },
    })),
    { concurrency: 2, maxCost: 1 },
  );
  console.log(`batch ${batchId} started`);
  const result = await client.waitForBatch(batchId, {
    onProgress: (status) =>
      console.log(`${status.succeeded} done, ${status.failed} failed, ${status.running} running`),
  });
  console.log(
    `succeeded ${result.succeeded}, failed ${result.failed}, manifest ${result.manifestPath}`,
  );
  if (result.failed > 0) process.exitCode = 1;
} finally {
  await client.close();
}
