/**
 * Node's ceiling for the download benchmark: undici alone reads the same loopback file and
 * discards the bytes (no hashing, no disk), in its own process, measured like the activity.
 */
import { Agent, request } from 'undici';
import { probeRun } from './lib/probe-run.js';

const url = process.argv[2];
if (!url) throw new Error('usage: download-ceiling-probe.ts URL');
const dispatcher = new Agent();
await probeRun(async () => {
  const { statusCode, body } = await request(url, { dispatcher });
  if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).byteLength;
  return { bytes };
});
await dispatcher.close();
