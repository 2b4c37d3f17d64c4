/** `KLINGFLOW_TEST_LOG=debug npm test` shows the workers' full logs; WARN and above otherwise. */
export function testLogLevel(): 'DEBUG' | 'WARN' {
  return process.env.KLINGFLOW_TEST_LOG === 'debug' ? 'DEBUG' : 'WARN';
}
