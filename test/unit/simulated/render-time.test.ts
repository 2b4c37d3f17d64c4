import { describe, expect, it } from 'vitest';
import { startHyprLabFake } from '../../../src/simulated/hyprlab-fake.js';
import { renderTimeFor } from '../../../src/simulated/render-time.js';

describe('simulated render times', () => {
  it('renders in exactly the median without a spread', () => {
    expect(renderTimeFor({ medianMs: 24_000, spread: 0, taskId: 'a' })).toBe(24_000);
  });

  it('varies log-normally around the median, the same for the same task id', () => {
    const times = Array.from({ length: 2000 }, (_, index) =>
      renderTimeFor({ medianMs: 24_000, spread: 0.1, taskId: `task-${index}` }),
    );
    expect(renderTimeFor({ medianMs: 24_000, spread: 0.1, taskId: 'task-7' })).toBe(times[7]);
    expect(renderTimeFor({ medianMs: 24_000, spread: 0.1, taskId: 'task-7', seed: 1 })).not.toBe(
      times[7],
    );
    const logs = times.map((ms) => Math.log(ms / 24_000));
    const mean = logs.reduce((sum, value) => sum + value, 0) / logs.length;
    const deviation = Math.sqrt(
      logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / logs.length,
    );
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(deviation).toBeGreaterThan(0.09);
    expect(deviation).toBeLessThan(0.11);
  });
});

describe('render times of a fake provider', () => {
  it('are exact without a spread and repeat per named series with one', async () => {
    const fake = await startHyprLabFake({ renderMs: 24_000 });
    try {
      expect(fake.createTask({}).renderMs).toBe(24_000);
      fake.renderSpread = 0.1;
      fake.startRenderSeries('measured');
      const first = [0, 1, 2, 3].map(() => fake.createTask({}).renderMs);
      fake.startRenderSeries('measured');
      const again = [0, 1, 2, 3].map(() => fake.createTask({}).renderMs);
      expect(again).toEqual(first);
      expect(new Set(first).size).toBe(4);
    } finally {
      await fake.stop();
    }
  });
});
