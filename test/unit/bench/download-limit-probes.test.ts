import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbeProcess } from '../../../bench/lib/probe-process.js';
import { FakeProviderServer } from '../../../src/simulated/fake-server.js';

const probe = (name: string) => fileURLToPath(new URL(`../../../bench/${name}`, import.meta.url));
const BYTES = 3 * 1024 * 1024 + 17;

interface ProbeOutput {
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  sha256?: string;
}

describe('the download benchmark’s limit probes', () => {
  let fake: FakeProviderServer;

  beforeAll(async () => {
    fake = new FakeProviderServer({
      name: 'limit-probes',
      routes: [],
      authenticate: () => true,
      rejectAuth: () => {},
      videoBytes: BYTES,
    });
    await fake.start();
  });

  afterAll(async () => {
    await fake.stop();
  });

  it('hashes every byte undici reads, as the activity does', async () => {
    const measured = await runProbeProcess<ProbeOutput>(
      probe('download-hash-probe.ts'),
      [`${fake.origin}/files/bench.mp4`],
      { nodeFlags: ['--expose-gc'] },
    );

    expect(measured.bytes).toBe(BYTES);
    expect(measured.sha256).toBe(createHash('sha256').update(fake.videoBuffer).digest('hex'));
    expect(measured.seconds).toBeGreaterThan(0);
  }, 30_000);

  it('writes and syncs as many bytes as asked, past several write batches', async () => {
    const measured = await runProbeProcess<ProbeOutput>(
      probe('disk-write-probe.ts'),
      [String(BYTES)],
      { nodeFlags: ['--expose-gc'] },
    );

    expect(measured.bytes).toBe(BYTES);
    expect(measured.cpuSeconds).toBeGreaterThan(0);
  }, 30_000);
});
