import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProviderId } from '../../src/request/unified-request.js';

const SERVER = fileURLToPath(new URL('../provider-server.ts', import.meta.url));

export type ProviderProcessMessage = 'tasks';
export type ProviderProcessReply = { environment: NodeJS.ProcessEnv } | { tasks: number };

/** A simulated provider running in its own process (bench/provider-server.ts). */
export interface ProviderProcess {
  /** The provider's key and base URL, for the worker's environment. */
  environment: NodeJS.ProcessEnv;
  /** How many tasks the provider has created: the submissions it would bill. */
  tasksCreated(): Promise<number>;
  stop(): Promise<void>;
}

export async function startProviderProcess(options: {
  provider: ProviderId;
  renderMs: number;
}): Promise<ProviderProcess> {
  const child = fork(SERVER, [options.provider, String(options.renderMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const { environment } = await nextReply(child, (reply) =>
      'environment' in reply ? reply : undefined,
    );
    return {
      environment,
      async tasksCreated() {
        const answer = nextReply(child, (reply) => ('tasks' in reply ? reply : undefined));
        child.send('tasks' satisfies ProviderProcessMessage);
        return (await answer).tasks;
      },
      async stop() {
        if (child.connected) child.disconnect();
        await exited;
      },
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** The child's next reply that `pick` accepts; rejects if it exits first. */
function nextReply<T>(
  child: ChildProcess,
  pick: (reply: ProviderProcessReply) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (reply: ProviderProcessReply) => {
      const picked = pick(reply);
      if (picked === undefined) return;
      cleanUp();
      resolve(picked);
    };
    const onExit = (code: number | null) => {
      cleanUp();
      reject(new Error(`the provider process exited (code ${code}) before answering`));
    };
    const cleanUp = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
