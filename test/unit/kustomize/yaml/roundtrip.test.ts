import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitYaml } from '../../../../lib/kustomize/yaml/emit.js';
import { parseYamlDocuments } from '../../../../lib/kustomize/yaml/parse.js';

/** The kustomize conformance corpus, read in place (never copied into the project). */
const CORPUS_DIR = resolve(
  process.env.STAGELINE_KUSTOMIZE_CONFORMANCE ?? join(process.cwd(), '../shared/conformance/kustomize'),
);
const CASES_DIR = join(CORPUS_DIR, 'cases');
const HAVE_CORPUS = existsSync(CASES_DIR);

/**
 * Cases whose expected output cannot survive parse -> emit, with the reason. This list may only
 * shrink.
 */
const KNOWN_FAILURES: Record<string, string> = {};

function outputCases(): string[] {
  if (!HAVE_CORPUS) return [];
  return readdirSync(CASES_DIR)
    .filter((name) => existsSync(join(CASES_DIR, name, 'expected.yaml')))
    .sort();
}

/** Split a `kustomize build` output into its documents (separator lines are exactly `---`). */
function splitOutput(text: string): string[] {
  if (text === '') return [];
  const docs: string[] = [];
  let current = '';
  for (const line of text.split(/(?<=\n)/)) {
    if (line === '---\n') {
      docs.push(current);
      current = '';
    } else {
      current += line;
    }
  }
  docs.push(current);
  return docs;
}

function roundTrip(text: string, name: string): string {
  return splitOutput(text)
    .map((doc) => {
      const values = parseYamlDocuments(doc, name);
      expect(values).toHaveLength(1);
      return emitYaml(values[0]!);
    })
    .join('---\n');
}

describe.skipIf(!HAVE_CORPUS)('kustomize YAML round trip over the conformance corpus', () => {
  const cases = outputCases();

  it('finds all 246 output cases', () => {
    expect(cases.length).toBe(246);
  });

  for (const name of cases) {
    const known = KNOWN_FAILURES[name];
    it.skipIf(known !== undefined)(`${name} parse -> emit is byte-identical`, () => {
      const text = readFileSync(join(CASES_DIR, name, 'expected.yaml'), 'utf8');
      expect(roundTrip(text, name)).toBe(text);
    });
  }

  it('known failures still fail (the list may only shrink)', () => {
    for (const name of Object.keys(KNOWN_FAILURES)) {
      const text = readFileSync(join(CASES_DIR, name, 'expected.yaml'), 'utf8');
      let same = false;
      try {
        same = roundTrip(text, name) === text;
      } catch {
        same = false;
      }
      expect(same, `${name} passes now: remove it from KNOWN_FAILURES`).toBe(false);
    }
  });
});
