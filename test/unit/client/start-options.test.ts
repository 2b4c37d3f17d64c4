import { describe, expect, it } from 'vitest';
import { validateStartOptions } from '../../../src/client/start-options.js';
import { ValidationError } from '../../../src/errors.js';

describe('start options', () => {
  it('refuse a pollIntervalMs so short it must be seconds passed as milliseconds', () => {
    const refusal = (() => {
      try {
        validateStartOptions({ pollIntervalMs: 10 });
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).issues).toEqual([
      {
        field: 'pollIntervalMs',
        message: '10 ms is under the 100 ms minimum; the option is in milliseconds (10 s is 10000)',
      },
    ]);
    expect(validateStartOptions({ pollIntervalMs: 200 })).toEqual({});
  });
});
