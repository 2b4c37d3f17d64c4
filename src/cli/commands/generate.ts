import { constants } from 'node:fs';
import { access, copyFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { KlingflowClient, StartGenerationOptions } from '../../client/klingflow-client.js';
import type { GenerationRequest } from '../../client/prepare-request.js';
import type { KeptSetting } from '../../client/request-fingerprint.js';
import { validateGenerationRequest, validateStartOptions } from '../../client/start-options.js';
import { configuredProviderIds } from '../../config/provider-variables.js';
import { VARIABLES } from '../../config/variables.js';
import type { GenerationStatus } from '../../contracts/generation.js';
import { ValidationError } from '../../errors.js';
import { parsePresignDuration } from '../../storage/presign-videos.js';
import { CommandExit, ExitCode } from '../exit-codes.js';
import { lostWhileFollowing } from '../lost-connection.js';
import { note, printJson, summarise } from '../output.js';
import {
  ifGiven,
  parseFailoverStuckAfterFlag,
  parseInteger,
  parseNumber,
  parsePositiveNumber,
  parseProviders,
} from '../parse-options.js';
import { createProgressReporter } from '../progress-reporter.js';
import { spendLine } from '../spend-summary.js';

interface GenerateFlags {
  prompt?: string;
  model?: string;
  mode?: string;
  duration?: string;
  aspectRatio?: string;
  negativePrompt?: string;
  cfgScale?: string;
  startImage?: string;
  endImage?: string;
  sound?: boolean;
  motionVideo?: string;
  shot?: string[];
  referenceVideo?: string;
  providers?: string;
  id?: string;
  maxCost?: string;
  failoverStuckAfter?: string;
  notifyUrl?: string;
  wait?: boolean;
  json?: boolean;
  out?: string;
  presign?: string;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description(
      'generate a video (prints the workflow id; --wait blocks until the video is stored)',
    )
    // Not required here: image-to-video and multi-shot requests may leave it out, and the
    // request check says when a prompt is missing (exit 2 naming `prompt`).
    .option('--prompt <text>', 'what the video shows')
    .option('--model <model>', 'kling-v1 … kling-v3, kling-o1 (default kling-v2.6)')
    .option('--mode <mode>', 'std or pro (default std)')
    .option('--duration <seconds>', 'length in seconds (default 5)')
    .option('--aspect-ratio <ratio>', '16:9, 9:16 or 1:1')
    .option('--negative-prompt <text>', 'what the video should not show')
    .option('--cfg-scale <x>', 'prompt adherence, 0–1')
    .option('--start-image <url|path>', 'first frame: an http(s) URL, a local file or a data URI')
    .option('--end-image <url|path>', 'last frame: an http(s) URL, a local file or a data URI')
    .option('--sound', 'generate audio (models that support it)')
    .option(
      '--motion-video <url|path>',
      'kling-motion-control: the motion the character in --start-image performs (an http(s) URL, or a local .mp4/.mov of 3–30 s with S3 storage)',
    )
    .option(
      '--shot <text:seconds>',
      'one shot of a multi-shot video, repeat in order (e.g. "a wide street:3"); --duration defaults to their sum',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--reference-video <url|path>',
      'omni-video reference video (video_list, priced x1.5; an http(s) URL, or a local .mp4/.mov of 3–10 s with S3 storage)',
    )
    .option(
      '--providers <ids>',
      'failover order, comma-separated (default: KLINGFLOW_PROVIDERS or cheapest first)',
    )
    .option(
      '--id <workflowId>',
      'workflow id, single-use per request: the same request again follows the existing job, a different one exits 2',
    )
    .option('--max-cost <usd>', 'skip providers whose estimated cost is above this many USD')
    .option(
      '--failover-stuck-after <duration>',
      'opt-in: pay the next provider if an accepted task is stuck this long (e.g. 20m); the stuck task stays in the spend ledger',
    )
    .option(
      '--notify-url <url>',
      'POST the final status JSON here when the job ends, signed with KLINGFLOW_NOTIFY_SECRET (Standard Webhooks)',
    )
    .option('--wait', 'wait until the video is stored, showing progress')
    .option('--json', 'print the result as JSON')
    .option('--out <dir>', 'also copy the finished video into this directory (with --wait)')
    .option(
      '--presign <duration>',
      'with S3 storage and --wait: add a presigned GET url valid this long (e.g. 1h) to each video',
    )
    .action(runGenerate);
}

/** `klingflow generate`: checks every flag before connecting, starts (or follows) the job. */
async function runGenerate(flags: GenerateFlags): Promise<void> {
  const request = requestFromFlags(flags);
  // Bad input exits 2 before anything connects, starts or submits.
  const options = startOptionsFromFlags(flags);
  const presignSeconds =
    flags.presign === undefined ? undefined : parsePresignDuration(flags.presign);
  if (presignSeconds !== undefined && !flags.wait) {
    throw new ValidationError([
      { field: '--presign', message: 'needs --wait: the URLs are made once the video is stored' },
    ]);
  }
  const outDirectory = await outDirectoryFromFlags(flags);
  await validateGenerationRequest(
    request,
    options.providers ? { providers: options.providers } : availableProviders(),
  );

  // Loaded only now: refusals (most CLI calls that end early) skip the Temporal client and worker.
  const { connectOrEmbed } = await import('../embedded-runtime.js');
  const { client, following, close } = await connectOrEmbed({
    wait: Boolean(flags.wait),
    purpose: 'job',
  });
  try {
    const { workflowId, attached, kept } = await client.startGeneration(request, options);
    following({ kind: 'job', id: workflowId });
    if (attached) {
      note(
        `${workflowId} already exists for this request: following it (nothing new is submitted)`,
      );
      if (kept) {
        note(
          `it keeps its own ${kept.map((name) => KEPT_FLAGS[name]).join(', ')} as started: this command's ${kept.length === 1 ? 'value is' : 'values are'} not applied`,
        );
      }
    }
    if (!flags.wait) {
      if (flags.json) printJson({ workflowId });
      else process.stdout.write(`${workflowId}\n`);
      return;
    }
    if (!attached) note(`started ${workflowId}`);
    await waitAndReport(client, workflowId, flags, { presignSeconds, outDirectory }).catch(
      (error: unknown) => {
        throw lostWhileFollowing(error, { kind: 'job', id: workflowId });
      },
    );
  } finally {
    await close();
  }
}

/** --wait: progress until the job ends, the videos copied to --out, the result printed. */
async function waitAndReport(
  client: KlingflowClient,
  workflowId: string,
  flags: GenerateFlags,
  after: { presignSeconds: number | undefined; outDirectory: string | undefined },
): Promise<void> {
  const { presignSeconds, outDirectory } = after;
  const status = await waitWithProgress(client, workflowId, Boolean(flags.json));
  // A failed copy must not hide the result of a job that was paid for: reported first.
  const copyFailure =
    status.status === 'succeeded' && outDirectory
      ? await copyVideos(status, outDirectory).then(
          () => undefined,
          (error: unknown) => error,
        )
      : undefined;
  report(
    presignSeconds === undefined ? status : await client.presignVideos(status, presignSeconds),
    Boolean(flags.json),
  );
  if (status.status !== 'succeeded') throw new CommandExit(ExitCode.failed);
  if (copyFailure) {
    throw new CommandExit(
      ExitCode.failed,
      copyFailure instanceof Error ? copyFailure.message : String(copyFailure),
    );
  }
}

/** How the CLI names each run setting a job keeps when a start attaches to it. */
const KEPT_FLAGS: Record<KeptSetting, string> = {
  notifyUrl: '--notify-url',
  failoverStuckAfterMs: '--failover-stuck-after',
  pollIntervalMs: 'poll interval',
  attemptDeadlineMs: 'attempt deadline',
  deadlineMs: 'deadline',
};

/**
 * `--out`, checked and made before anything starts: a directory that cannot be written exits 2
 * here instead of failing the copy after the job was paid for.
 */
async function outDirectoryFromFlags(flags: GenerateFlags): Promise<string | undefined> {
  if (flags.out === undefined) return undefined;
  const invalid = (message: string) => new ValidationError([{ field: '--out', message }]);
  if (!flags.wait) throw invalid('needs --wait: the video is copied there once it is stored');
  if (process.env[VARIABLES.storage]?.trim().startsWith('s3://')) {
    throw invalid(
      'copies local files only; with S3 storage the videos are at their s3:// paths (--presign adds URLs)',
    );
  }
  const target = resolve(flags.out);
  try {
    await mkdir(target, { recursive: true });
    await access(target, constants.W_OK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw invalid(
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `${target} is a file, not a directory`
        : `cannot write to ${target}: ${code ?? cause}`,
    );
  }
  return target;
}

/** The start options the flags ask for, checked (a bad one exits 2 naming it). */
function startOptionsFromFlags(flags: GenerateFlags): StartGenerationOptions {
  const providers = parseProviders(flags.providers, '--providers');
  const maxCost = ifGiven(flags.maxCost, (value) => parsePositiveNumber(value, '--max-cost'));
  const failoverStuckAfter = ifGiven(flags.failoverStuckAfter, (value) =>
    parseFailoverStuckAfterFlag(value, '--failover-stuck-after'),
  );
  const options: StartGenerationOptions = {
    // An empty --id (a script's unset variable) is refused, not replaced by a fresh id: a
    // retry of that script would otherwise start, and pay for, a new job every time.
    ...(flags.id !== undefined ? { workflowId: flags.id } : {}),
    ...(providers ? { providers } : {}),
    ...(maxCost !== undefined ? { maxCost } : {}),
    ...(failoverStuckAfter !== undefined ? { failoverStuckAfter } : {}),
    ...(flags.notifyUrl !== undefined ? { notifyUrl: flags.notifyUrl } : {}),
  };
  validateStartOptions({
    ...(options.workflowId !== undefined ? { workflowId: options.workflowId } : {}),
    ...(options.notifyUrl !== undefined ? { notifyUrl: options.notifyUrl } : {}),
  });
  return options;
}

/** Providers with keys in this environment; none means the workers decide (or the simulated set). */
function availableProviders(): { providers?: ReturnType<typeof configuredProviderIds> } {
  const configured = configuredProviderIds(process.env);
  return configured.length > 0 ? { providers: configured } : {};
}

export function requestFromFlags(flags: GenerateFlags): GenerationRequest {
  const shots = flags.shot === undefined ? undefined : parseShots(flags.shot);
  const duration =
    flags.duration !== undefined
      ? parseInteger(flags.duration, 'duration')
      : shots?.reduce((sum, shot) => sum + shot.duration, 0);
  return {
    ...(flags.prompt !== undefined ? { prompt: flags.prompt } : {}),
    ...(flags.model !== undefined ? { model: flags.model as GenerationRequest['model'] } : {}),
    ...(flags.mode !== undefined ? { mode: flags.mode as GenerationRequest['mode'] } : {}),
    ...(duration !== undefined ? { duration } : {}),
    ...(flags.aspectRatio !== undefined
      ? { aspectRatio: flags.aspectRatio as GenerationRequest['aspectRatio'] }
      : {}),
    ...(flags.negativePrompt !== undefined ? { negativePrompt: flags.negativePrompt } : {}),
    ...(flags.cfgScale !== undefined ? { cfgScale: parseNumber(flags.cfgScale, 'cfgScale') } : {}),
    ...(flags.startImage !== undefined ? { startImage: flags.startImage } : {}),
    ...(flags.endImage !== undefined ? { endImage: flags.endImage } : {}),
    ...(flags.sound ? { sound: true } : {}),
    ...(flags.motionVideo !== undefined ? { motionVideo: flags.motionVideo } : {}),
    ...(shots ? { shots } : {}),
    ...(flags.referenceVideo !== undefined ? { referenceVideo: flags.referenceVideo } : {}),
  };
}

/** `--shot "TEXT:SECONDS"`, split at the last `:` (the text may hold colons itself). */
function parseShots(values: string[]): { prompt: string; duration: number }[] {
  return values.map((value) => {
    const colon = value.lastIndexOf(':');
    const seconds = colon < 0 ? '' : value.slice(colon + 1).trim();
    if (!/^\d+$/.test(seconds)) {
      throw new ValidationError([
        {
          field: 'shots',
          message: `"${value}" is not TEXT:SECONDS (the shot's prompt, a colon, whole seconds)`,
        },
      ]);
    }
    return { prompt: value.slice(0, colon).trim(), duration: Number(seconds) };
  });
}

export async function waitWithProgress(
  client: KlingflowClient,
  workflowId: string,
  quiet: boolean,
): Promise<GenerationStatus> {
  const progress = createProgressReporter();
  const status = await client.waitForResult(
    workflowId,
    quiet ? {} : { onProgress: (update) => progress.update(update) },
  );
  if (!quiet) progress.finish();
  return status;
}

export function report(
  status: GenerationStatus & { videos: { url?: string }[] },
  json: boolean,
): void {
  if (json) printJson(status);
  else {
    const spend = spendLine(status);
    process.stdout.write(`${summarise(status)}\n${spend === undefined ? '' : `${spend}\n`}`);
  }
}

async function copyVideos(status: GenerationStatus, target: string): Promise<void> {
  for (const video of status.videos) {
    const destination = join(target, basename(video.path));
    try {
      await copyFile(video.path, destination);
    } catch (cause) {
      // The worker's path is local only when the worker shares this machine's disk.
      throw new Error(
        `the video is stored at ${video.path}, but copying it to ${target} failed: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
        { cause },
      );
    }
    note(`copied ${video.path} to ${destination}`);
  }
}
