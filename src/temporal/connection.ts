import { Connection, isGrpcServiceError } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { TemporalUnreachableError } from '../errors.js';
import { unknownNamespaceError } from './unknown-namespace.js';

/** gRPC status NOT_FOUND: here, the namespace does not exist. */
const GRPC_NOT_FOUND = 5;

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Connection options from @temporalio/envconfig (TLS, API key, profile). */
  connectionOptions: Record<string, unknown>;
  /** True when TEMPORAL_ADDRESS, a profile or a config file chose the server (no embedded fallback). */
  explicitlyConfigured: boolean;
}

/** The Temporal server to use, from TEMPORAL_* variables and the envconfig profile file. */
export function resolveTemporalTarget(
  environment: NodeJS.ProcessEnv = process.env,
): TemporalTarget {
  const config = loadClientConnectConfig({
    overrideEnvVars: environment as Record<string, string>,
  });
  const address = config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  return {
    address,
    namespace: config.namespace ?? 'default',
    connectionOptions: { ...config.connectionOptions, address },
    explicitlyConfigured: Boolean(
      environment.TEMPORAL_ADDRESS ||
        environment.TEMPORAL_PROFILE ||
        config.connectionOptions.address,
    ),
  };
}

export async function connectClient(target: TemporalTarget): Promise<Connection> {
  try {
    return await Connection.connect({
      ...target.connectionOptions,
      address: target.address,
      connectTimeout: 5_000,
    });
  } catch (cause) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${target.address} (namespace ${target.namespace})`,
      {
        cause,
      },
    );
  }
}

export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({
      ...target.connectionOptions,
      address: target.address,
    });
  } catch (cause) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${target.address} (namespace ${target.namespace})`,
      {
        cause,
      },
    );
  }
  // Checked here, not left to Worker.create: its failure on an unknown namespace comes after the
  // SDK started the workflow threads, which it does not stop, so the process never exits.
  const missing = await connection.workflowService
    .describeNamespace({ namespace: target.namespace })
    .then(
      () => undefined,
      (error: unknown) =>
        isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND
          ? unknownNamespaceError(target.namespace, error)
          : undefined,
    );
  if (missing) {
    await connection.close().catch(() => {});
    throw missing;
  }
  return connection;
}

/** True when a Temporal frontend answers at the address within the timeout. */
export async function isTemporalReachable(
  target: TemporalTarget,
  timeoutMs = 1_500,
): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({
      ...target.connectionOptions,
      address: target.address,
      connectTimeout: timeoutMs,
    });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}
