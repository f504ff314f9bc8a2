// Runs kustomize's conformance corpus and prints every failure plus the feature table.
// Usage: npx tsx scripts/kustomize-conformance.ts [name-filter]   (corpus: $STAGELINE_KUSTOMIZE_CONFORMANCE)
import { featureTable, loadCorpusIndex, runCorpusCase, type CaseResult } from '../test/support/kustomize-corpus.js';

const filter = process.argv[2];
const cases = loadCorpusIndex().filter((testCase) => !filter || testCase.name.includes(filter));
const results = new Map<string, CaseResult>();
for (const testCase of cases) {
  let result: CaseResult;
  try {
    result = runCorpusCase(testCase);
  } catch (error) {
    result = { name: testCase.name, passed: false, detail: `crash: ${(error as Error).stack}` };
  }
  results.set(testCase.name, result);
  if (!result.passed) console.log(`FAIL ${testCase.name}: ${result.detail?.slice(0, 400)}`);
}
const passed = [...results.values()].filter((result) => result.passed).length;
if (!filter) console.log(featureTable(cases, results));
console.log(`${passed}/${cases.length} cases pass`);
