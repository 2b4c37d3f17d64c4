/** A TCP port on 127.0.0.1 that was free a moment ago (for dev servers and worker endpoints). */
export { freeLoopbackPort as freePort } from '../../src/observability/metrics-source.js';
