import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { actionsBetween, readServerActions } from '../../../bench/lib/server-actions.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** Serves `body` as the metrics page, the way the dev server's --metrics-port does. */
async function metricsPage(body: string): Promise<string> {
  server = createServer((_, response) => response.end(body));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe("the server's action counter", () => {
  it("reads the namespace's actions by type and counts heartbeats apart", async () => {
    const url = await metricsPage(
      [
        '# HELP action action',
        '# TYPE action counter',
        'action{action_type="grpc_StartWorkflowExecution",namespace="temporal_system",operation="StartWorkflowExecution",service_name="frontend"} 2',
        'action{action_type="grpc_StartWorkflowExecution",namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 3',
        'action{action_type="command_ScheduleActivityTask",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 30',
        'action{action_type="grpc_RecordActivityTaskHeartbeat",namespace="default",operation="RecordActivityTaskHeartbeat",service_name="frontend"} 5',
        'action_latency_bucket{le="1"} 9',
      ].join('\n'),
    );
    const after = await readServerActions(url);
    expect(Object.fromEntries(after)).toEqual({
      grpc_StartWorkflowExecution: 3,
      command_ScheduleActivityTask: 30,
      grpc_RecordActivityTaskHeartbeat: 5,
    });
    const before = new Map([
      ['grpc_StartWorkflowExecution', 1],
      ['grpc_RecordActivityTaskHeartbeat', 4],
    ]);
    expect(actionsBetween(before, after)).toEqual({ total: 33, heartbeats: 1 });
  });
});
