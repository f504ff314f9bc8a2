import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureTable, loadCorpusIndex, runCorpusCase, type CaseResult } from '../support/kustomize-corpus.js';

/**
 * Every case of kustomize's own krusty test suite must build byte-identically (or fail with
 * kustomize's message). Known failures are listed with a reason; the list may only shrink:
 * a listed case that now passes fails this test until it is removed from the list.
 */
const knownFailures: Record<string, string> = JSON.parse(readFileSync(join(import.meta.dirname, 'kustomize-known-failures.json'), 'utf8'));
const cases = loadCorpusIndex();
const results = new Map<string, CaseResult>();

describe('kustomize conformance corpus', () => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (name, testCase) => {
    const result = runCorpusCase(testCase);
    results.set(name, result);
    if (name in knownFailures) {
      expect(result.passed, `${name} passes now: remove it from kustomize-known-failures.json`).toBe(false);
    } else {
      expect(result.passed, result.detail).toBe(true);
    }
  });

  it('prints the per-feature pass table', () => {
    const passed = [...results.values()].filter((result) => result.passed).length;
    console.log(`kustomize conformance: ${passed}/${cases.length} cases pass\n${featureTable(cases, results)}`);
    expect(results.size).toBe(cases.length);
  });
});
