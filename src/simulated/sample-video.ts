import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A real 2-second H.264 MP4 (320x180 test pattern), made with ffmpeg's testsrc. */
const SAMPLE = readFileSync(fileURLToPath(new URL('./sample.mp4', import.meta.url)));

/**
 * The sample video, padded to `size` bytes with a trailing MP4 `free` box so that large files
 * (download and resume tests, benchmarks) are still well-formed MP4s that players accept.
 */
export function mp4Bytes(size?: number): Buffer {
  if (size === undefined || size <= SAMPLE.length + 8) return SAMPLE;
  const padding = size - SAMPLE.length;
  const header = Buffer.alloc(8);
  if (padding > 0xffffffff) throw new Error('sample video padding over 4 GiB is not supported');
  header.writeUInt32BE(padding, 0);
  header.write('free', 4, 'ascii');
  const filler = Buffer.alloc(padding - 8);
  // A repeating non-zero pattern so a download that drops or duplicates a chunk changes the sha256.
  for (let offset = 0; offset < filler.length; offset++) filler[offset] = (offset * 31 + 7) & 0xff;
  return Buffer.concat([SAMPLE, header, filler]);
}
