import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastParsePiece } from '../../../../lib/kustomize/yaml/fast-parse.js';
import { parseYamlDocuments } from '../../../../lib/kustomize/yaml/parse.js';

const CASES_DIR = join(
  resolve(process.env.STAGELINE_KUSTOMIZE_CONFORMANCE ?? join(process.cwd(), '../shared/conformance/kustomize')),
  'cases',
);

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) yamlFiles(full, out);
    else if (/\.(ya?ml)$|^Kustomization$/.test(entry)) out.push(full);
  }
  return out;
}

function both(text: string): { fast: unknown; full: unknown } {
  const run = (fullParserOnly: boolean) => {
    try {
      return parseYamlDocuments(text, 'f.yaml', { fullParserOnly });
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  return { fast: run(false), full: run(true) };
}

describe('fast path agrees with the full parser', () => {
  it.skipIf(!existsSync(CASES_DIR))('on every YAML file of the conformance corpus', () => {
    const files = yamlFiles(CASES_DIR);
    expect(files.length).toBeGreaterThan(500);
    let fastHits = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const { fast, full } = both(text);
      expect(fast, f).toEqual(full);
      if (fastParsePiece(text) !== undefined) fastHits++;
    }
    // Most files are plain block YAML.
    expect(fastHits / files.length).toBeGreaterThan(0.5);
  });

  const samples: Record<string, string> = {
    scalars: 'a: 1\nb: -1\nc: -x\nd: "q\\tx\\u00e9"\ne: \'it\'\'s\'\nf: x #c\ng: a#b\nh: ~\ni:\nj: {}\nk: []\nl: :x\n',
    nesting: 'a:\n- b: 1\n  c:\n  - - 2\n    - 3\n  -\n- x\nd:\n  e: f\n',
    literal: 'a: |\n  x\n\n   y\n\nb: |-\n  z\nc: |+\n  k\n\n\nd: |2\n    lead\n  x\ne: |\n  # not a comment\n',
    literalEnd: 'a: |\n  x\n  y',
    emptyLiteral: 'a: |\nb: |+\n\nc: 1\n',
    comments: '# head\n---\n# c\na: 1 # c\n# c\nb:\n  # c\n  c: 2\n',
    keys: '"a b": 1\n\'c\': 2\n1: x\ntrue: y\nhttp://x: z\n',
  };
  for (const [name, text] of Object.entries(samples)) {
    it(`sample ${name}`, () => {
      const { fast, full } = both(text);
      expect(fast).toEqual(full);
    });
  }
  it('takes the fast path on samples', () => {
    expect(fastParsePiece(samples.nesting!)).toBeDefined();
    expect(fastParsePiece(samples.literal!)).toBeDefined();
  });
  it('gives up on constructs it does not handle', () => {
    for (const t of ['a: &x 1\nb: *x\n', 'a: [1, 2]\n', 'a: !t x\n', 'a: >\n  x\n', 'a: 1\na: 2\n', '<<: {}\n', 'a: b: c\n']) {
      expect(fastParsePiece(t), t).toBeUndefined();
    }
  });
});

describe('fast path: multi-line plain scalars', () => {
  it('folds continuation lines like the full parser, and leaves doubtful ones to it', () => {
    const texts = [
      'a: one\n  two\n\n  three\n\n\nb: x\n',
      'l:\n- one\n  two\n- three\n',
      'a:\n  b: one\n    two   \n  c: 1\n',
      'a: 12\n  34\n',
      'a: one\n  # comment\nb: 2\n',
    ];
    for (const text of texts) {
      expect(fastParsePiece(text)?.value, text).toEqual(parseYamlDocuments(text, 'x.yaml', { fullParserOnly: true })[0]);
    }
    expect(fastParsePiece('a: one\n  two\n')?.value).toEqual({ a: 'one two' });
    for (const doubtful of ['a: one\n  two: x\n', 'a: one\n  - two\n', 'a: one\n  two #c\n', 'a: one\n  two']) {
      expect(fastParsePiece(doubtful), doubtful).toBeUndefined();
    }
  });
});

describe('fast path: multi-line single-quoted scalars', () => {
  it('folds them like the full parser', () => {
    const texts = [
      "a: 'one   \n  two''s\n\n  three'\nb: x\n",
      "l:\n- 'one\n  two'   # c\n- 'x'\n",
      "a:\n  b: 'it''s\n    fine  '\n  c: 1\n",
      "a: 'x'\n",
    ];
    for (const text of texts) {
      const fast = fastParsePiece(text);
      expect(fast, text).toBeDefined();
      expect(fast!.value, text).toEqual(parseYamlDocuments(text, 'x.yaml', { fullParserOnly: true })[0]);
    }
    for (const doubtful of ["a: 'one\ntwo'\n", "a: '\n  two'\n", "a: 'one\n  '\n", "a: 'one\n  two\n"]) {
      expect(fastParsePiece(doubtful), doubtful).toBeUndefined();
    }
  });
});

describe('fast path: multi-line double-quoted scalars (big CRDs write long descriptions this way)', () => {
  it('folds them like the full parser, escapes and escaped line breaks included', () => {
    const texts = [
      'a: "x\n  y"\n',
      'a: "one   \n  two\\n\n\n  three"\nb: x\n',
      'l:\n- "one\n  two"   # c\n- "x"\n',
      'a:\n  b: "flags: [\\n\\t\\"--validate=false\\"\n    \\ # disable\\n]"\n  c: 1\n',
      'a: "join\\\n    ed, kept\\  \n    spaces"\n',
      'a: "states:\\n\n  - Pending\\n   Pending\n  "\n',
      'a: "\\u00e9t\\xe9 \\"q\\"\n  end"\n',
    ];
    for (const text of texts) {
      const fast = fastParsePiece(text);
      expect(fast, text).toBeDefined();
      expect(fast!.value, text).toEqual(parseYamlDocuments(text, 'x.yaml', { fullParserOnly: true })[0]);
    }
    expect(fastParsePiece('a: "one\n  two"\n')?.value).toEqual({ a: 'one two' });
    expect(fastParsePiece('a: "x\\\n  y"\n')?.value).toEqual({ a: 'xy' });
    // The blank lines after an escaped line break are line feeds (YAML 1.2 s-double-escaped;
    // kubectl 1.33's kustomize prints "escaped break\nthen a blank line"). The `yaml` package
    // folds them to a space, so here the fast path is the one that matches kustomize.
    expect(fastParsePiece('a: "escaped break\\\n\n    then a blank line"\n')?.value).toEqual({ a: 'escaped break\nthen a blank line' });
    for (const doubtful of ['a: "one\ntwo"\n', 'a: "\n  two"\n', 'a: "one\n  two\n', 'a: "one\n  two" x\n']) {
      expect(fastParsePiece(doubtful), doubtful).toBeUndefined();
    }
  });
});
