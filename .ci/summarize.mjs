// Prints `tests: N passed, M failed` from vitest's JSON report; exits 1 if the report is
// missing (the run crashed) or any test failed.
import { readFileSync } from 'node:fs';
const file = process.argv[2];
let r;
try { r = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
  console.error(`no vitest report at ${file}: ${e.message}`);
  process.exit(1);
}
const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
const skipped = r.numPendingTests + r.numTodoTests;
// CI reads the last line exactly as `tests: N passed, M failed`: skipped tests go on a line of their own before it.
if (skipped) console.log(`tests skipped: ${skipped}`);
console.log(`tests: ${r.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 || r.numPassedTests === 0 ? 1 : 0);
