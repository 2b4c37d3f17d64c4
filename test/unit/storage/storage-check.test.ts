import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import { checkStorageWritable } from '../../../src/storage/storage-factory.js';
import type { VideoStorage } from '../../../src/storage/video-storage.js';

/** A storage whose start-up check never settles (Node's mkdir under /proc does this). */
const silentStorage = {
  checkWritable: () => new Promise<void>(() => {}),
} as unknown as VideoStorage;

describe('the storage check at worker start', () => {
  it('refuses a storage whose check never answers, naming the variable that chose it', async () => {
    const refusal = checkStorageWritable(silentStorage, { KLINGFLOW_STORAGE_DIR: '/proc/x' }, 50);
    await expect(refusal).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refusal).rejects.toThrow(
      'KLINGFLOW_STORAGE_DIR: cannot store videos there: no answer within 0.05 s',
    );
  });
});
