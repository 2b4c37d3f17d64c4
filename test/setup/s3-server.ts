import { type ChildProcess, spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { GOFAKES3, installGoTool } from './go-tool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:PORT` of the run's S3-compatible server. */
    s3Endpoint: string;
    /** A bucket that exists on it. */
    s3Bucket: string;
  }
}

export const TEST_BUCKET = 'klingflow-test';

/** Settings that point klingflow's S3 storage at the test server (it checks no signatures). */
export function s3Environment(endpoint: string, prefix: string): NodeJS.ProcessEnv {
  return {
    KLINGFLOW_STORAGE: `s3://${TEST_BUCKET}/${prefix}`,
    KLINGFLOW_S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: 'test-access-key',
    AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    AWS_REGION: 'us-east-1',
  };
}

export interface RunningS3Server {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts gofakes3 (in-memory backend) on a loopback port the OS picks; it prints the port it
 * bound, so there is no race between choosing a free port and listening on it.
 */
export async function startS3Server(): Promise<RunningS3Server> {
  const binary = await installGoTool(GOFAKES3, (message) => console.error(`[gofakes3] ${message}`));
  const child = spawn(
    binary,
    ['-backend', 'memory', '-host', '127.0.0.1:0', '-initialbucket', TEST_BUCKET, '-quiet'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error('gofakes3 did not start within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${output}`));
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /using port: (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`gofakes3 exited with ${code}`)));
  });
  // Keep draining stderr so a chatty server never blocks on a full pipe.
  child.stderr?.resume();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Global setup: one S3-compatible server for the whole test run, like the Temporal dev server. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startS3Server();
  project.provide('s3Endpoint', server.endpoint);
  project.provide('s3Bucket', TEST_BUCKET);
  return () => server.stop();
}
