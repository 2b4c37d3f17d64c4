import { describe, expect, it } from 'vitest';
import { mp4Bytes } from '../../../src/simulated/sample-video.js';
import { probeVideo } from '../../../src/storage/video-probe.js';
import { mp4OfSeconds } from '../../support/sample-videos.js';

describe('probeVideo', () => {
  it('reads the type and length of an MP4 from its movie header', () => {
    expect(probeVideo(mp4Bytes())).toEqual({ contentType: 'video/mp4', seconds: 2 });
    expect(probeVideo(mp4OfSeconds(12.5))).toEqual({ contentType: 'video/mp4', seconds: 12.5 });
  });

  it('reads a QuickTime file as video/quicktime', () => {
    const mov = mp4OfSeconds(4);
    // The sample's major brand `isom` becomes `qt  `, as QuickTime writes it.
    mov.write('qt  ', mov.indexOf('isom', 0, 'ascii'), 'ascii');
    expect(probeVideo(mov)).toEqual({ contentType: 'video/quicktime', seconds: 4 });
  });

  it('returns undefined for bytes that are not a video', () => {
    expect(probeVideo(Buffer.from('not a video, just some text'))).toBeUndefined();
    expect(probeVideo(new Uint8Array())).toBeUndefined();
    expect(probeVideo(mp4Bytes().subarray(0, 64))).toBeUndefined();
  });
});
