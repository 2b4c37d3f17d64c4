import { installQuietRuntime } from '../../src/temporal/sdk-logging.js';
import { testLogLevel } from './test-log-level.js';

/**
 * A setup file of the integration project: workers under test log at WARN or above, so a
 * failing test's output is not buried under the SDK's INFO lines.
 */
installQuietRuntime({ level: testLogLevel() });
