import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeBody } from '../../../src/activities/download/body-writer.js';

const CHUNK = 64 * 1024;

let directory: string;
let path: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'klingflow-body-writer-'));
  path = join(directory, 'partial');
});

afterEach(() => rm(directory, { recursive: true, force: true }));

function chunksOf(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += CHUNK) {
    chunks.push(bytes.subarray(start, start + CHUNK));
  }
  return chunks;
}

/** Writes `body` into a fresh file after `prefix`, recording every `written` call. */
async function writeInto(
  body: Readable,
  options: { prefix?: Buffer; accept?: (chunk: Buffer) => void; written?: () => void } = {},
) {
  const prefix = options.prefix ?? Buffer.alloc(0);
  const handle = await open(path, 'w+');
  await handle.write(prefix, 0, prefix.length, 0);
  const ends: number[] = [];
  const outcome = await writeBody(body, handle, prefix.length, {
    accept: options.accept ?? (() => {}),
    written: (end) => {
      ends.push(end);
      options.written?.();
    },
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  await handle.close();
  return { outcome, ends, file: await readFile(path) };
}

describe('writeBody', () => {
  it('writes a body of several batches after the bytes already in the file, in order', async () => {
    const prefix = randomBytes(1000);
    const bytes = randomBytes(5 * 1024 * 1024 + 123);

    const { outcome, ends, file } = await writeInto(Readable.from(chunksOf(bytes)), { prefix });

    expect(outcome).toBeUndefined();
    expect(Buffer.compare(file, Buffer.concat([prefix, bytes]))).toBe(0);
    // About 1 MiB batches, each reported once written (a resumed file needs no early write).
    expect(ends[0]).toBe(prefix.length + 16 * CHUNK);
    expect(ends.at(-1)).toBe(prefix.length + bytes.length);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    expect(ends.length).toBeGreaterThanOrEqual(5);
    expect(ends.length).toBeLessThan(20);
  });

  it('keeps the bytes accepted before a refused chunk, then rejects with the refusal', async () => {
    const bytes = randomBytes(10 * CHUNK);
    const refusal = new Error('too large');
    let seen = 0;

    const { outcome, ends, file } = await writeInto(Readable.from(chunksOf(bytes)), {
      accept: () => {
        seen += 1;
        if (seen === 7) throw refusal;
      },
    });

    expect(outcome).toBe(refusal);
    expect(ends.at(-1)).toBe(6 * CHUNK);
    expect(Buffer.compare(file, bytes.subarray(0, 6 * CHUNK))).toBe(0);
  });

  it('keeps the bytes received before the body breaks, then rejects with its error', async () => {
    const bytes = randomBytes(3 * CHUNK);
    const body = new PassThrough();
    const cut = Object.assign(new Error('other side closed'), { name: 'SocketError' });
    for (const chunk of chunksOf(bytes)) body.write(chunk);

    // All three chunks arrive at once; the first is written at once, the others wait in a batch.
    const { outcome, ends, file } = await writeInto(body, { written: () => body.destroy(cut) });

    expect(outcome).toBe(cut);
    expect(ends.at(-1)).toBe(bytes.length);
    expect(Buffer.compare(file, bytes)).toBe(0);
  });

  it('writes nothing more once the body is aborted', async () => {
    const bytes = randomBytes(3 * CHUNK);
    const body = new PassThrough();
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    for (const chunk of chunksOf(bytes)) body.write(chunk);

    const { outcome, file } = await writeInto(body, { written: () => body.destroy(abort) });

    expect(outcome).toBe(abort);
    // Only the first chunk, written at once before the abort arrived; the batch is dropped.
    expect(file.length).toBe(CHUNK);
  });

  it('rejects (instead of leaving an unhandled rejection) when reporting a write throws', async () => {
    const failure = new Error('heartbeat failed');

    const { outcome } = await writeInto(Readable.from(chunksOf(randomBytes(4 * CHUNK))), {
      written: () => {
        throw failure;
      },
    });

    expect(outcome).toBe(failure);
  });
});
