import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRealworldCorpus, runRealworldDir, type RealworldResult } from '../support/kustomize-realworld.js';

/**
 * 567 kustomization directories of 16 public projects must build byte-identically to kustomize
 * v5.6.0 (sha256 of stdout). Known failures are listed with a reason; the list may only shrink:
 * a listed directory that now passes fails this test until it is removed from the list, and an
 * unlisted failure fails it too.
 */
const knownFailures: Record<string, string> = JSON.parse(readFileSync(join(import.meta.dirname, 'kustomize-realworld-known-failures.json'), 'utf8'));
const started = performance.now();
const corpus = loadRealworldCorpus();
const loadMs = performance.now() - started;
const results = new Map<string, RealworldResult>();

describe('kustomize real-world corpus', () => {
  it('lists every directory with an expected sha256 and only known directories as failures', () => {
    expect(corpus.dirs.length).toBe(corpus.expected.size);
    for (const dir of corpus.dirs) expect(corpus.expected.has(dir), dir).toBe(true);
    for (const [dir, reason] of Object.entries(knownFailures)) {
      expect(corpus.dirs, `known failure ${dir} is not a corpus directory`).toContain(dir);
      expect(reason.trim(), `known failure ${dir} needs a reason`).not.toBe('');
    }
  });

  it('builds every directory byte-identically', () => {
    const buildStarted = performance.now();
    const unexpected: string[] = [];
    const nowPassing: string[] = [];
    for (const dir of corpus.dirs) {
      const result = runRealworldDir(corpus, dir);
      results.set(dir, result);
      if (dir in knownFailures) {
        if (result.passed) nowPassing.push(dir);
      } else if (!result.passed) unexpected.push(`${dir}: ${result.detail}`);
    }
    const passed = [...results.values()].filter((result) => result.passed).length;
    const buildMs = performance.now() - buildStarted;
    console.log(
      `kustomize real-world corpus: ${passed}/${corpus.dirs.length} directories byte-identical ` +
        `(extract + load ${Math.round(loadMs)} ms, builds ${Math.round(buildMs)} ms)`,
    );
    expect(nowPassing, 'these pass now: remove them from kustomize-realworld-known-failures.json').toEqual([]);
    expect(unexpected, 'new failures').toEqual([]);
    // About 50 s on a 2-core machine (one process, through buildKustomization).
  }, 600_000);
});
