import { testLogLevel } from '../setup/test-log-level.js';

/**
 * Variables a child must not inherit from the test runner's environment: they could point it at
 * real providers (and bill them), at another Temporal server, or change klingflow's settings.
 */
const NOT_INHERITED =
  /^(TEMPORAL_|KLINGFLOW_|HYPRLAB_|OPENAI_HK_|KLING_|AI302_|APIMODELS_|APIFRAME_|FAL_|REPLICATE_)/;

/** Set by the test run's global setup: the directory of the workflow bundles it built. */
export const TEST_WORKFLOW_BUNDLES = 'KLINGFLOW_TEST_WORKFLOW_BUNDLES';

/**
 * The runner's environment minus anything klingflow reads, plus `variables`. Under the test run
 * a child worker loads the run's prebuilt workflow bundles (KLINGFLOW_WORKFLOW_BUNDLE_DIR).
 */
export function childEnvironment(variables: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!NOT_INHERITED.test(name)) environment[name] = value;
  }
  // Worker processes log like in-process test workers: WARN unless KLINGFLOW_TEST_LOG=debug.
  const bundles = process.env[TEST_WORKFLOW_BUNDLES];
  return {
    ...environment,
    NO_COLOR: '1',
    KLINGFLOW_LOG_LEVEL: testLogLevel(),
    ...(bundles ? { KLINGFLOW_WORKFLOW_BUNDLE_DIR: bundles } : {}),
    ...variables,
  };
}
