/**
 * Every environment variable klingflow itself reads, named once. Code reads them through these
 * names, and a test checks that the README's configuration tables list each one, so a new
 * setting cannot go undocumented. (Provider keys and base URLs are named in config/provider-variables.ts;
 * Temporal's TEMPORAL_* connection variables are read by @temporalio/envconfig, and the AWS SDK
 * reads its standard AWS_* chain.)
 */
export const VARIABLES = {
  taskQueue: 'KLINGFLOW_TASK_QUEUE',
  storageDirectory: 'KLINGFLOW_STORAGE_DIR',
  storage: 'KLINGFLOW_STORAGE',
  s3Endpoint: 'KLINGFLOW_S3_ENDPOINT',
  providers: 'KLINGFLOW_PROVIDERS',
  pollInterval: 'KLINGFLOW_POLL_INTERVAL',
  initialWait: 'KLINGFLOW_INITIAL_WAIT',
  allowPrivateNetwork: 'KLINGFLOW_ALLOW_PRIVATE_NETWORK',
  providerRateLimits: 'KLINGFLOW_PROVIDER_RATE_LIMITS',
  providerConcurrency: 'KLINGFLOW_PROVIDER_CONCURRENCY',
  priceRates: 'KLINGFLOW_PRICE_RATES',
  logLevel: 'KLINGFLOW_LOG_LEVEL',
  logFormat: 'KLINGFLOW_LOG_FORMAT',
  metricsPort: 'KLINGFLOW_METRICS_PORT',
  metricsHost: 'KLINGFLOW_METRICS_HOST',
  webhookSecret: 'KLINGFLOW_WEBHOOK_SECRET',
  notifySecret: 'KLINGFLOW_NOTIFY_SECRET',
  simulated: 'KLINGFLOW_SIMULATED',
  simulatedRenderTime: 'KLINGFLOW_SIMULATED_RENDER_TIME',
  toolsDirectory: 'KLINGFLOW_TOOLS_DIR',
  workflowBundleDirectory: 'KLINGFLOW_WORKFLOW_BUNDLE_DIR',
  temporalCliPath: 'TEMPORAL_CLI_PATH',
} as const;

export type VariableName = (typeof VARIABLES)[keyof typeof VARIABLES];
