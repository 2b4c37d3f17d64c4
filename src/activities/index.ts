import type { Dispatcher } from 'undici';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ImageResolverFactory } from '../storage/image-resolver.js';
import type { VideoStorage } from '../storage/video-storage.js';
import { createCancelTask } from './cancel-task.js';
import { createCheckTask } from './check-task.js';
import { createDownloadVideo } from './download-video.js';
import { createDownloadVideoToStorage } from './download-video-to-storage.js';
import { createEstimateCost, createEstimateCosts } from './estimate-cost.js';
import {
  createAwaitExistingGeneration,
  createEarlierGenerationSpend,
} from './existing-generation.js';
import { createNotifyCompletion } from './notify-completion.js';
import { createPlanRoute, type RoutingSettings } from './plan-route.js';
import { requestProviderSlot } from './request-provider-slot.js';
import { createStoreVideo } from './store-video.js';
import { createSubmitTask } from './submit-task.js';
import { batchManifestDirectory, createWriteBatchManifest } from './write-manifest.js';

export interface ActivityDependencies {
  providers: ProviderRegistry;
  storage: VideoStorage;
  /** Builds one image resolver per submit (its provider, cancellation signal and fields). */
  images: ImageResolverFactory;
  /** Guarded undici dispatcher for result downloads. */
  http: { dispatcher: Dispatcher; allowPrivateNetwork: boolean };
  routing: RoutingSettings;
  /** Per-task callback URL builder when the worker serves webhooks. */
  callbackUrl?: (workflowId: string, attempt: number) => string | undefined;
  maxVideoBytes?: number;
  /** Where batch manifests go; default `<storage root>/batches`. */
  batchManifestDirectory?: string;
  /** The worker's environment, where the notify activity reads KLINGFLOW_NOTIFY_SECRET. */
  environment?: NodeJS.ProcessEnv;
}

/** Every activity, built once per worker with its dependencies injected (Temporal samples style). */
export function createActivities(deps: ActivityDependencies) {
  const { submitTask, findTask } = createSubmitTask(deps);
  const downloadDependencies = {
    storage: deps.storage,
    dispatcher: deps.http.dispatcher,
    allowPrivateNetwork: deps.http.allowPrivateNetwork,
    ...(deps.maxVideoBytes !== undefined ? { maxBytes: deps.maxVideoBytes } : {}),
  };
  const planRoute = createPlanRoute(deps);
  const estimateCost = createEstimateCost({ planRoute });
  return {
    planRoute,
    submitTask,
    findTask,
    checkTask: createCheckTask({ ...deps, download: downloadDependencies }),
    /** Asks the provider to stop a task the job no longer wants (providers with a cancel call). */
    cancelTask: createCancelTask(deps),
    requestProviderSlot,
    /** Download, verify and store in one attempt on one host (`patched('store-in-download')`). */
    downloadVideoToStorage: createDownloadVideoToStorage(downloadDependencies),
    /** Jobs started before that patch: stage on this host, then `storeVideo` (local activity). */
    downloadVideo: createDownloadVideo(downloadDependencies),
    storeVideo: createStoreVideo({ storage: deps.storage }),
    /** Batch: the first route entry's price, before an item is started. */
    estimateCost,
    /** Batch (`batch-v2`): the next chunk of items' estimates in one call. */
    estimateCosts: createEstimateCosts({ estimateCost }),
    /** Batch: waits for and reads an item's job that an earlier run of the batch started. */
    awaitExistingGeneration: createAwaitExistingGeneration(),
    /** Batch: what an item's failed earlier job spent, before `retryFailed` replaces it. */
    earlierGenerationSpend: createEarlierGenerationSpend(),
    /** Batch: the JSONL results manifest, written atomically into storage. */
    writeBatchManifest: createWriteBatchManifest({
      directory: () => deps.batchManifestDirectory ?? batchManifestDirectory(deps.storage),
      ...(deps.batchManifestDirectory ? {} : { storage: deps.storage }),
    }),
    /** POSTs a finished job's or batch's status to its notify URL (Standard Webhooks signed). */
    notifyCompletion: createNotifyCompletion({
      dispatcher: deps.http.dispatcher,
      allowPrivateNetwork: deps.http.allowPrivateNetwork,
      environment: deps.environment ?? process.env,
    }),
    /** Removes the partial downloads of a cancelled job, so no half file is left behind. */
    async discardPartialDownloads(input: { keys: string[] }): Promise<void> {
      for (const key of input.keys) await deps.storage.removePartial(key);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
