import { type Client, isGrpcServiceError } from '@temporalio/client';

/** gRPC status NOT_FOUND: no workflow has this id. */
const GRPC_NOT_FOUND = 5;

/**
 * The first argument a workflow was started with (its latest run), read from the first event of
 * its history; undefined when no workflow has this id (or it has left retention).
 *
 * Reading the input rather than a memo works for every job, whoever started it (the client, a
 * batch, an older klingflow), and cannot drift from what the job really runs with. Only one
 * event is fetched. klingflow's clients use no payload codec, so the payload converter suffices.
 */
export async function readWorkflowInput<T>(
  client: Client,
  workflowId: string,
): Promise<T | undefined> {
  let response: Awaited<ReturnType<Client['workflowService']['getWorkflowExecutionHistory']>>;
  try {
    response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      maximumPageSize: 1,
    });
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return undefined;
    throw error;
  }
  const payload =
    response.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  return client.options.loadedDataConverter.payloadConverter.fromPayload<T>(payload);
}
