/**
 * Builds gofakes3 (the S3-compatible server the storage tests use) into .tools/ with
 * `go install` (idempotent; instant when cached). Run by .ci/run; the test setup also builds it
 * on first use.
 */
import { GOFAKES3, installGoTool } from '../test/setup/go-tool.js';

console.log(await installGoTool(GOFAKES3, (message) => console.error(message)));
