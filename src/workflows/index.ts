// Everything the worker registers as workflow code. Deterministic code only.

export { batchGenerate } from './batch.js';
export { generateVideo } from './generate-video.js';
export { providerSlots } from './provider-slots.js';
