import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from 'undici';
import { createGuardedAgent } from '../../src/http/guarded-agent.js';
import { FakeProviderServer, type FakeRoute } from '../../src/simulated/fake-server.js';
import {
  createFilesystemStorage,
  type FilesystemStorage,
} from '../../src/storage/filesystem-storage.js';

export interface DownloadServer {
  /** Serves its video at `/files/<name>.mp4` (Range included), plus `routes`. */
  fake: FakeProviderServer;
  /** The guarded dispatcher, allowed the private network because the fake is on loopback. */
  dispatcher: Agent;
  /** Filesystem storage in a fresh temporary directory, removed by `stop`. */
  storage: FilesystemStorage;
  stop(): Promise<void>;
}

/** `/stall/<name>.mp4`: sends the first 64 KiB of the video, then nothing more, never ending. */
export const stallRoute: FakeRoute = {
  name: 'stall',
  method: 'GET',
  pattern: /^\/stall\/[^/]+\.mp4$/,
  authenticated: false,
  handle: ({ response, fake }) => {
    response.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': fake.videoBuffer.length,
    });
    response.write(fake.videoBuffer.subarray(0, 64 * 1024));
  },
};

/** The loopback file server, dispatcher and storage the download activity tests use. */
export async function startDownloadServer(
  name: string,
  options: { routes?: FakeRoute[]; videoBytes?: number } = {},
): Promise<DownloadServer> {
  const fake = await new FakeProviderServer({
    name,
    routes: options.routes ?? [],
    authenticate: () => true,
    rejectAuth: () => {},
  }).start();
  fake.setVideoSize(options.videoBytes ?? 256 * 1024);
  const dispatcher = createGuardedAgent({ allowPrivateNetwork: true });
  const root = await mkdtemp(join(tmpdir(), `klingflow-${name}-`));
  return {
    fake,
    dispatcher,
    storage: createFilesystemStorage({ rootDirectory: root }),
    async stop() {
      await fake.stop();
      await dispatcher.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
