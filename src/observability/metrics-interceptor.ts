import type { Context } from '@temporalio/activity';
import type {
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
} from '@temporalio/worker';
import { FailureTypes } from '../contracts/generation.js';
import type { KlingflowMetrics } from './klingflow-metrics.js';

/**
 * Records every activity attempt into `metrics` from its input and its result or failure. A
 * recording error never fails the activity: metrics are not worth a retry of a paid call.
 */
export function metricsInterceptor(metrics: KlingflowMetrics): ActivityInterceptorsFactory {
  return (context: Context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const activity = context.info.activityType;
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        let result: unknown;
        try {
          result = await next(input);
        } catch (error) {
          const notReady = (error as { type?: unknown })?.type === FailureTypes.notReady;
          safely(() =>
            metrics.record(activity, input.args[0], { failed: true, seconds: seconds(), notReady }),
          );
          throw error;
        }
        safely(() =>
          metrics.record(activity, input.args[0], { failed: false, result, seconds: seconds() }),
        );
        return result;
      },
    };
    return { inbound };
  };
}

function safely(record: () => void): void {
  try {
    record();
  } catch {
    // An unexpected result shape: skip this sample rather than fail the activity.
  }
}
