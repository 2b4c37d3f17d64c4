/**
 * Start a generation with the typed client, follow its progress, and print where the video is.
 * Run with a klingflow worker reachable at TEMPORAL_ADDRESS (e.g. `npx klingflow dev`):
 *   npx tsx examples/generate-with-progress.ts "a paper boat on a rainy street"
 */
import { KlingflowClient, ValidationError } from 'klingflow';

const prompt = process.argv[2] ?? 'a paper boat drifting down a rainy street';
const client = await KlingflowClient.connect();
try {
  const { workflowId } = await client.startGeneration({ prompt, model: 'kling-v2.6', duration: 5 });
  console.log(`started ${workflowId}`);
  const result = await client.waitForResult(workflowId, {
    onProgress: (status) =>
      console.log(`${status.phase} via ${status.provider ?? '-'} (${status.polls} polls)`),
  });
  if (result.status !== 'succeeded') {
    console.error(`generation ${result.status}: ${result.error}`);
    process.exitCode = 1;
  } else {
    for (const video of result.videos)
      console.log(`video: ${video.path} (${video.bytes} bytes, sha256 ${video.sha256})`);
  }
} catch (error) {
  if (error instanceof ValidationError) {
    // Nothing was submitted: each issue names the field and the allowed values.
    for (const issue of error.issues) console.error(`${issue.field}: ${issue.message}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
} finally {
  await client.close();
}
