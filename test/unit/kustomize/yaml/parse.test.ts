import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitYaml } from '../../../../lib/kustomize/yaml/emit.js';
import {
  parseYamlDocument,
  parseYamlDocuments,
  YamlDecodeError,
  YamlSyntaxError,
} from '../../../../lib/kustomize/yaml/parse.js';

const CASES_DIR = join(
  resolve(process.env.STAGELINE_KUSTOMIZE_CONFORMANCE ?? join(process.cwd(), '../shared/conformance/kustomize')),
  'cases',
);

const one = (text: string) => parseYamlDocument(text, 'f.yaml');

describe('parseYamlDocuments: documents', () => {
  it('splits on separator lines and drops empty and null documents', () => {
    const text = '\n---\na: 1\n---\n# only a comment\n---\n~\n--- # comment\nb: 2\n';
    expect(parseYamlDocuments(text, 'f.yaml')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(parseYamlDocuments('', 'f.yaml')).toEqual([]);
    expect(parseYamlDocuments('---\na: 1\n', 'f.yaml')).toEqual([{ a: 1 }]);
  });
  it('rejects content after a separator like kyaml', () => {
    expect(() => parseYamlDocuments('a: 1\n--- b\nc: 2\n', 'f.yaml')).toThrow(
      'MalformedYAMLError: invalid document separator: --- b in File: f.yaml',
    );
  });
  it('handles CRLF and keeps the newline a block scalar needs before a separator', () => {
    expect(parseYamlDocuments('a: |\r\n  x\r\n---\r\nb: 1\r\n', 'f.yaml')).toEqual([{ a: 'x\n' }, { b: 1 }]);
  });
});

describe('parseYamlDocuments: scalar resolution (go-yaml v3)', () => {
  it('YAML 1.2 booleans and nulls only', () => {
    expect(one('a: yes\nb: on\nc: true\nd: False\ne: ~\nf:\ng: Null\nh: n\n')).toEqual({
      a: 'yes', b: 'on', c: true, d: false, e: null, f: null, g: null, h: 'n',
    });
  });
  it('numbers in Go syntax', () => {
    expect(one('a: 1\nb: -2\nc: 1.5\nd: 1e3\ne: 0x1F\nf: 0o17\ng: 017\nh: 0b101\ni: 1_000\nj: +3\nk: .5\nl: 1.0\n')).toEqual({
      a: 1, b: -2, c: 1.5, d: 1000, e: 31, f: 15, g: 15, h: 5, i: 1000, j: 3, k: 0.5, l: 1,
    });
  });
  it('things that stay strings', () => {
    expect(one('a: 1.2.3\nb: 1:20\nc: 08x\nd: "1"\ne: \'true\'\nf: !!str 12\ng: 0x\nh: 1e\n')).toEqual({
      a: '1.2.3', b: '1:20', c: '08x', d: '1', e: 'true', f: '12', g: '0x', h: '1e',
    });
  });
  it('explicit tags', () => {
    expect(one('a: !!int "12"\nb: !!float 1\nc: !Custom x\nd: !!binary aGVsbG8=\n')).toEqual({ a: 12, b: 1, c: 'x', d: 'hello' });
  });
  it('unquoted timestamps become RFC 3339 date-times (time.Time through encoding/json)', () => {
    expect(one('a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\nd: "2001-12-14"\n')).toEqual({
      a: '2001-12-14T00:00:00Z',
      b: '2001-12-14T21:59:43.1-05:00',
      c: '2001-12-14T21:59:43.1Z',
      d: '2001-12-14',
    });
  });
  it('block scalars', () => {
    expect(one('a: |\n  x\n  y\nb: >-\n  x\n  y\nc: |+\n  z\n\nd: x\n')).toEqual({ a: 'x\ny\n', b: 'x y', c: 'z\n\n', d: 'x' });
  });
});

describe('parseYamlDocuments: anchors, merges, duplicates', () => {
  it('resolves aliases into independent copies', () => {
    const v = one('a: &x {k: [1]}\nb: *x\n') as { a: { k: number[] }; b: { k: number[] } };
    expect(v).toEqual({ a: { k: [1] }, b: { k: [1] } });
    expect(v.a).not.toBe(v.b);
  });
  it('applies merge keys: own keys win, then the first merged mapping', () => {
    const text = 'x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n  a: 0\n';
    expect(one(text)).toEqual({ x: { a: 1, b: 1 }, y: { b: 2, c: 2 }, z: { a: 0, b: 1, c: 2 } });
    expect(one('x: &x {a: 1}\nz:\n  <<: *x\n')).toEqual({ x: { a: 1 }, z: { a: 1 } });
  });
  it('duplicate keys: the later value wins by default', () => {
    expect(one('a: 1\nb: 2\na: 3\n')).toEqual({ a: 3, b: 2 });
  });
  it('duplicate keys: go-yaml v3 error on request', () => {
    expect(() => parseYamlDocuments('x:\n  env: 1\n  env: 2\n', 'f.yaml', { duplicateKeys: 'error' })).toThrow(
      'yaml: unmarshal errors:\n  line 3: mapping key "env" already defined at line 2',
    );
  });
  it('keeps a "__proto__" key as data', () => {
    const v = one('__proto__: {a: 1}\n') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
  it('unknown alias', () => {
    expect(() => one('a: *nope\n')).toThrow("yaml: unknown anchor 'nope' referenced");
  });
});

describe('parseYamlDocuments: malformed YAML', () => {
  it.skipIf(!existsSync(CASES_DIR))('basic_io__TestBasicIO3812 reports a MalformedYAMLError', () => {
    const text = readFileSync(join(CASES_DIR, 'basic_io__TestBasicIO3812/input/service.yaml'), 'utf8');
    let err: unknown;
    try {
      parseYamlDocuments(text, 'service.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(YamlSyntaxError);
    expect((err as Error).message).toBe('MalformedYAMLError: yaml: line 9: did not find expected key in File: service.yaml');
  });
  it('an HTML page (kustomize issue 5540)', () => {
    const html = '<!DOCTYPE html>\n<html class="x" lang="en">\n<head prefix="og: http://ogp.me/ns#">\n<meta charset="utf-8">\n';
    expect(() => parseYamlDocuments(html, 'resources.yaml')).toThrow(
      'MalformedYAMLError: yaml: line 3: mapping values are not allowed in this context in File: resources.yaml',
    );
  });
  it('nested implicit mapping and tabs', () => {
    expect(() => one('x: 1\na: b: c\n')).toThrow('yaml: line 2: mapping values are not allowed in this context');
    expect(() => one('a:\n\tb: c\n')).toThrow('yaml: line 2: found character that cannot start any token');
  });
  it.skipIf(!existsSync(CASES_DIR))('blankvalues__TestBlankNamespace4240 parses (null namespace, trailing tab)', () => {
    const text = readFileSync(join(CASES_DIR, 'blankvalues__TestBlankNamespace4240/input/resource.yaml'), 'utf8');
    const docs = parseYamlDocuments(text, 'resource.yaml') as Array<Record<string, any>>;
    expect(docs).toHaveLength(3);
    expect(docs[2]!.subjects[0].namespace).toBeNull();
    expect(docs[2]!.roleRef.apiGroup).toBe('rbac.authorization.k8s.io');
  });
  it('errors carry the decode class for go-yaml decode failures', () => {
    expect(() => one('a: !!int x\n')).toThrow(YamlDecodeError);
  });
});

describe('parse + emit', () => {
  it('yes/no and numbers-as-strings come back quoted, floats normalised', () => {
    expect(emitYaml(one('a: yes\nb: "1"\nc: 1.0\nd: 1.50\ne: 2001-12-14\n')!)).toBe(
      'a: "yes"\nb: "1"\nc: 1\nd: 1.5\ne: "2001-12-14T00:00:00Z"\n',
    );
  });
});
