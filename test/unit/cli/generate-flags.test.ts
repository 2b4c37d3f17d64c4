import { describe, expect, it } from 'vitest';
import { requestFromFlags } from '../../../src/cli/commands/generate.js';
import { ValidationError } from '../../../src/errors.js';

const fieldsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => issue.field);
    throw error;
  }
  return [];
};

describe('generate flags for the seed features', () => {
  it('turns repeated --shot into shots, split at the last colon, with duration their sum', () => {
    const request = requestFromFlags({
      shot: ['a street at 10:30 pm:3', ' a close-up : 2'],
      model: 'kling-v3',
    });
    expect(request.shots).toEqual([
      { prompt: 'a street at 10:30 pm', duration: 3 },
      { prompt: 'a close-up', duration: 2 },
    ]);
    expect(request.duration).toBe(5);
    expect(request).not.toHaveProperty('prompt');
  });

  it('keeps an explicit --duration (the request check compares it with the shots)', () => {
    const request = requestFromFlags({ shot: ['a:3', 'b:2'], duration: '10' });
    expect(request.duration).toBe(10);
  });

  it.each([['no seconds'], ['a shot:'], ['a shot:2.5'], ['a shot:-1']])(
    'names shots for a bad --shot %j',
    (shot) => {
      expect(fieldsOf(() => requestFromFlags({ shot: ['fine:3', shot] }))).toEqual(['shots']);
    },
  );

  it('passes the motion and reference videos through', () => {
    const request = requestFromFlags({
      motionVideo: 'https://videos.example/dance.mp4',
      referenceVideo: 'https://videos.example/ref.mp4',
      startImage: 'https://images.example/cat.png',
    });
    expect(request).toMatchObject({
      motionVideo: 'https://videos.example/dance.mp4',
      referenceVideo: 'https://videos.example/ref.mp4',
    });
  });
});
