import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from './trivial-activities.js';

const { finish } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** The engine's ceiling: wait out the simulated render with one timer, then one activity. */
export async function trivialJob(renderMs: number): Promise<string> {
  await sleep(renderMs);
  return finish();
}
