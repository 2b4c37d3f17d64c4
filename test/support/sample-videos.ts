import { mp4Bytes } from '../../src/simulated/sample-video.js';

/**
 * The 2-second sample MP4 with its movie header (`mvhd`, version 0) saying `seconds` instead:
 * what klingflow reads as a video's length, so tests get an input video of any length without
 * a video encoder.
 */
export function mp4OfSeconds(seconds: number): Buffer {
  const bytes = Buffer.from(mp4Bytes());
  const type = bytes.indexOf('mvhd', 0, 'ascii');
  if (type < 0 || bytes[type + 4] !== 0) throw new Error('sample video has no version-0 mvhd');
  // After the type: version+flags (4), creation (4), modification (4), timescale (4), duration (4).
  const timescale = bytes.readUInt32BE(type + 16);
  bytes.writeUInt32BE(Math.round(seconds * timescale), type + 20);
  return bytes;
}
