import { createFile, Log, type Movie, MP4BoxBuffer } from 'mp4box';

/**
 * What klingflow needs to know about a local input video before a provider is paid to use it:
 * its container type and its length. Read with mp4box (GPAC's ISO-BMFF parser) from the movie
 * header, so an MP4 or QuickTime MOV whose `moov` sits at the end of the file is read too.
 */

export type InputVideoType = 'video/mp4' | 'video/quicktime';

export interface VideoProbe {
  contentType: InputVideoType;
  /** Length in seconds from the movie header (`mvhd`, or `mehd` for a fragmented file). */
  seconds: number;
}

// mp4box logs parse problems to the console; a file it cannot read is reported by the caller.
Log.setLogLevel(() => {});

/** The type and length of an MP4 or MOV file, or undefined when the bytes are neither. */
export function probeVideo(bytes: Uint8Array): VideoProbe | undefined {
  let movie: Movie | undefined;
  const file = createFile();
  file.onReady = (info) => {
    movie = info;
  };
  file.onError = () => {
    movie = undefined;
  };
  // A copy: mp4box takes ownership of an ArrayBuffer starting at the file's first byte.
  const buffer = MP4BoxBuffer.fromArrayBuffer(new Uint8Array(bytes).buffer, 0);
  try {
    file.appendBuffer(buffer);
    file.flush();
  } catch {
    return undefined;
  }
  if (!movie?.hasMoov) return undefined;
  const seconds = movieSeconds(movie);
  if (seconds === undefined) return undefined;
  // QuickTime files carry the `qt  ` brand; everything else ISO-BMFF is served as MP4.
  const contentType = movie.brands.includes('qt  ') ? 'video/quicktime' : 'video/mp4';
  return { contentType, seconds };
}

function movieSeconds(movie: Movie): number | undefined {
  const fragmented = movie.fragment_duration;
  if (movie.isFragmented && fragmented && fragmented.den > 0) {
    return fragmented.num / fragmented.den;
  }
  if (movie.timescale > 0 && movie.duration > 0) return movie.duration / movie.timescale;
  return undefined;
}
