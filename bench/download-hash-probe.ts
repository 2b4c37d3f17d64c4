/**
 * undici reads the loopback file and sha256 hashes every chunk as it arrives, both on the event
 * loop as in the activity, and nothing is written: the most any download step that hashes where
 * undici parses can reach on this machine. Its own process, measured like the activity.
 */
import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';
import { probeRun } from './lib/probe-run.js';

const url = process.argv[2];
if (!url) throw new Error('usage: download-hash-probe.ts URL');
const dispatcher = new Agent();
await probeRun(async () => {
  const { statusCode, body } = await request(url, { dispatcher });
  if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
  const hash = createHash('sha256');
  let bytes = 0;
  // 'data' events, as the activity reads its body.
  await new Promise<void>((resolve, reject) => {
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      hash.update(chunk);
    });
    body.once('end', resolve);
    body.once('error', reject);
  });
  return { bytes, sha256: hash.digest('hex') };
});
await dispatcher.close();
