import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';

function issuesOf(input: unknown) {
  try {
    parseUnifiedRequest(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('camera control in the unified request (official docs: axes are floats in [-10, 10])', () => {
  it('accepts fractional axis values', () => {
    const request = parseUnifiedRequest({
      prompt: 'a',
      cameraControl: { type: 'simple', config: { zoom: 2.5 } },
    });
    expect(request.cameraControl).toEqual({ type: 'simple', config: { zoom: 2.5 } });
    expect(
      parseUnifiedRequest({
        prompt: 'a',
        cameraControl: { type: 'simple', config: { pan: -9.75 } },
      }).cameraControl?.config?.pan,
    ).toBe(-9.75);
  });

  it('accepts the ends of the range and refuses values outside it, naming the axis', () => {
    expect(
      parseUnifiedRequest({ prompt: 'a', cameraControl: { type: 'simple', config: { tilt: 10 } } })
        .cameraControl?.config?.tilt,
    ).toBe(10);
    expect(
      issuesOf({ prompt: 'a', cameraControl: { type: 'simple', config: { tilt: 10.5 } } })[0],
    ).toMatchObject({ field: 'cameraControl.config.tilt', message: 'must be between -10 and 10' });
  });

  it('refuses a config on the preset movements (the docs: no config needed, leave it empty)', () => {
    expect(
      issuesOf({ prompt: 'a', cameraControl: { type: 'down_back', config: { zoom: 1 } } })[0],
    ).toMatchObject({ field: 'cameraControl.config' });
    expect(
      parseUnifiedRequest({ prompt: 'a', cameraControl: { type: 'down_back' } }).cameraControl,
    ).toEqual({ type: 'down_back' });
  });
});
