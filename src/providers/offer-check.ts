import type { ValidationIssue } from '../errors.js';
import type { Mode, UnifiedRequest } from '../request/unified-request.js';
import type { ModelOffer, OfferCheck } from './provider.js';

/**
 * Checks a request against what one provider offers. Shared by every adapter so the same
 * mistake gets the same message everywhere: the field, what is wrong, and the allowed values.
 */
export function checkAgainstOffers(
  providerName: string,
  offers: readonly ModelOffer[],
  request: UnifiedRequest,
): OfferCheck {
  const forModel = offers.filter((offer) => offer.model === request.model);
  if (forModel.length === 0) {
    return {
      issues: [
        {
          field: 'model',
          message: `${request.model} is not offered by ${providerName}`,
          allowed: unique(offers.map((offer) => offer.model)),
        },
      ],
      warnings: [],
    };
  }
  const offer = forModel.find((candidate) => candidate.modes.includes(request.mode));
  if (!offer) {
    return {
      issues: [
        {
          field: 'mode',
          message: `${request.model} on ${providerName} has no ${request.mode} mode`,
          allowed: unique(forModel.flatMap((candidate) => candidate.modes)),
        },
      ],
      warnings: [],
    };
  }
  const on = `${request.model} on ${providerName}`;
  const found: Found = { offer, offers, request, on, providerName, issues: [], warnings: [] };
  if (offer.modesWithoutEffect?.includes(request.mode)) {
    found.warnings.push(
      `mode ${request.mode} does not apply to ${on} (one quality tier): the same model is rendered at the same price`,
    );
  }
  // The order of the checks is the order of the issues a caller shows.
  lengthIssues(found);
  imageIssues(found);
  aspectRatioIssues(found);
  cameraControlIssues(found);
  soundIssues(found);
  return { offer, issues: found.issues, warnings: found.warnings };
}

/** A request and the offer it matched, with the issues and warnings found so far. */
interface Found {
  offer: ModelOffer;
  /** Every offer of the provider, for the allowed values of a field. */
  offers: readonly ModelOffer[];
  request: UnifiedRequest;
  /** `<model> on <provider>`, for messages. */
  on: string;
  providerName: string;
  issues: ValidationIssue[];
  warnings: string[];
}

/** Duration, the seed features, prompt lengths and cfgScale. */
function lengthIssues({ offer, offers, request, on, providerName, issues }: Found): void {
  if (!offer.durations.includes(request.duration)) {
    issues.push({
      field: 'duration',
      message: `${request.duration} s is not offered for ${on}`,
      allowed: offer.durations,
    });
  }
  if (request.shots && !offer.shots) {
    const withShots = unique(offers.filter((each) => each.shots).map((each) => each.model));
    issues.push({
      field: 'shots',
      message: `multi-shot is not supported by ${on}`,
      ...(withShots.length > 0 ? { allowed: withShots.map((model) => `model ${model}`) } : {}),
    });
  }
  issues.push(...seedFeatureIssues(offer, request, on));
  if (request.prompt.length > offer.maxPromptLength) {
    issues.push({
      field: 'prompt',
      message: `is ${request.prompt.length} characters; ${providerName} takes at most ${offer.maxPromptLength}`,
    });
  }
  if (
    request.negativePrompt !== undefined &&
    request.negativePrompt.length > offer.maxNegativePromptLength
  ) {
    issues.push({
      field: 'negativePrompt',
      message: `is ${request.negativePrompt.length} characters; ${providerName} takes at most ${offer.maxNegativePromptLength}`,
    });
  }
  if (request.cfgScale !== undefined && !offer.cfgScale) {
    issues.push({ field: 'cfgScale', message: `is not supported by ${on}` });
  }
}

function imageIssues({ offer, request, on, issues }: Found): void {
  if (offer.startImage === 'required' && !request.startImage) {
    issues.push({ field: 'startImage', message: `is required by ${on} (image-to-video only)` });
  }
  if (offer.startImage === 'unsupported' && request.startImage) {
    issues.push({ field: 'startImage', message: `is not supported by ${on} (text-to-video only)` });
  }
  if (request.endImage) {
    if (offer.endImage === 'unsupported') {
      issues.push({ field: 'endImage', message: `is not supported by ${on}` });
    } else if (offer.endImage === 'pro-only' && request.mode !== 'pro') {
      issues.push({ field: 'endImage', message: `needs mode pro on ${on}`, allowed: ['pro'] });
    }
    if (!request.startImage) {
      issues.push({ field: 'endImage', message: 'needs a startImage as well' });
    }
    if (offer.endImageDurations && !offer.endImageDurations.includes(request.duration)) {
      issues.push({
        field: 'endImage',
        message: `a start+end frame request on ${on} only takes ${offer.endImageDurations.join('/')} s`,
        allowed: offer.endImageDurations,
      });
    }
  }
}

/** An aspect ratio a provider ignores is a warning (it is dropped); one it refuses is an issue. */
function aspectRatioIssues({ offer, request, on, providerName, issues, warnings }: Found): void {
  if (request.aspectRatio !== undefined) {
    if (offer.aspectRatio === 'unsupported') {
      warnings.push(`aspectRatio is not supported by ${on}; it was dropped`);
    } else if (offer.aspectRatio === 'ignored-with-start-image' && request.startImage) {
      warnings.push(
        `aspectRatio is ignored by ${providerName} when a startImage is given; it was dropped`,
      );
    } else if (offer.aspectRatios && !offer.aspectRatios.includes(request.aspectRatio)) {
      issues.push({
        field: 'aspectRatio',
        message: `is not offered for ${on}`,
        allowed: offer.aspectRatios,
      });
    }
  }
}

function cameraControlIssues({ offer, request, on, issues }: Found): void {
  if (request.cameraControl) {
    const rule = offer.cameraControl;
    if (rule === 'unsupported') {
      issues.push({ field: 'cameraControl', message: `is not supported by ${on}` });
    } else if (
      rule !== 'supported' &&
      rule.types &&
      !rule.types.includes(request.cameraControl.type)
    ) {
      issues.push({
        field: 'cameraControl.type',
        message: `${request.cameraControl.type} is not offered for ${on}`,
        allowed: rule.types,
      });
    } else if (
      rule !== 'supported' &&
      !(rule.durations.includes(request.duration) && rule.modes.includes(request.mode))
    ) {
      issues.push({
        field: 'cameraControl',
        message: `only works at ${rule.durations.join('/')} s in ${rule.modes.join('/')} mode on ${on}`,
        allowed: rule.durations.flatMap((duration) =>
          rule.modes.map((mode: Mode) => `${duration}s ${mode}`),
        ),
      });
    }
  }
}

function soundIssues({ offer, request, on, issues }: Found): void {
  if (request.sound) {
    if (offer.sound === 'unsupported') {
      issues.push({ field: 'sound', message: `${on} does not generate audio` });
    } else if (offer.sound === 'pro-only' && request.mode !== 'pro') {
      issues.push({ field: 'sound', message: `needs mode pro on ${on}`, allowed: ['pro'] });
    }
  }
}

/**
 * The seed features (issue 13): motion video, reference video, and a prompt left out (shots
 * are checked with the provider's other offers, to name the models that take them). Each is refused, naming the field, where the offer does not take it.
 */
function seedFeatureIssues(offer: ModelOffer, request: UnifiedRequest, on: string) {
  const issues: ValidationIssue[] = [];
  if (offer.motionVideo === 'required' && !request.motionVideo) {
    issues.push({ field: 'motionVideo', message: `is required by ${on} (the motion source)` });
  }
  if (request.motionVideo && offer.motionVideo !== 'required') {
    issues.push({
      field: 'motionVideo',
      message: `is not taken by ${on}; it drives model kling-motion-control`,
      allowed: ['kling-motion-control'],
    });
  }
  if (request.referenceVideo && !offer.referenceVideo) {
    issues.push({ field: 'referenceVideo', message: `is not supported by ${on}` });
  }
  const promptCovered =
    request.shots !== undefined ||
    (request.startImage !== undefined && offer.promptOptionalWithImage === true);
  if (request.prompt === '' && !promptCovered) {
    issues.push({
      field: 'prompt',
      message: `is required by ${on}${request.startImage ? ' even with a startImage' : ''}`,
    });
  }
  return issues;
}

/** The provider model name for the request's mode (offers may name one per mode). */
export function providerModelName(offer: ModelOffer, mode: Mode): string {
  if (typeof offer.providerModel === 'string') return offer.providerModel;
  const name = offer.providerModel[mode];
  if (!name) throw new Error(`offer for ${offer.model} has no provider model for mode ${mode}`);
  return name;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
