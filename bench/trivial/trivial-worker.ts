/** A worker for the trivial one-activity workflow, as a separate process like klingflow's. */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './trivial-activities.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({
  address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233',
});
const worker = await Worker.create({
  connection,
  taskQueue: process.env.KLINGFLOW_TASK_QUEUE ?? 'trivial',
  workflowsPath: fileURLToPath(new URL('./trivial-workflow.ts', import.meta.url)),
  activities,
});
process.once('SIGTERM', () => worker.shutdown());
process.once('SIGINT', () => worker.shutdown());
console.error('worker connected to', process.env.TEMPORAL_ADDRESS);
await worker.run();
await connection.close();
