import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject } from '../../../../lib/kustomize/json.js';
import {
  encodeHash,
  goJsonStringify,
  hashConfigMap,
  hashResource,
  hashSecret,
  hashSortedStrings,
  sha256Hex,
} from '../../../../lib/kustomize/generators/index.js';
import { CORPUS_CASES, HAVE_CORPUS, listCases, readCaseExpected } from './corpus.js';

const obj = (text: string) => parse(text) as JsonObject;

describe('encodeHash', () => {
  it('keeps the first 10 hex digits and replaces 0,1,3,a,e', () => {
    expect(encodeHash('0123456789abcdef')).toBe('gh2k456789');
    expect(encodeHash('aeaeaeaeae')).toBe('mtmtmtmtmt');
    expect(() => encodeHash('abc')).toThrow('input length must be at least 10');
  });
  it('sha256 of the empty string', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('goJsonStringify', () => {
  it('sorts keys and escapes like Go encoding/json', () => {
    expect(goJsonStringify({ b: '<&>', a: 'x\ny\t"\\', c: '\u2028\b\f\u0001' })).toBe(
      '{"a":"x\\ny\\t\\"\\\\","b":"\\u003c\\u0026\\u003e","c":"\\u2028\\b\\f\\u0001"}',
    );
    expect(goJsonStringify({ n: 2, t: true, z: null, l: ['a'] })).toBe('{"l":["a"],"n":2,"t":true,"z":null}');
  });
});

// The vectors of kustomize's api/hasher/hasher_test.go.
describe('hashConfigMap / hashSecret (kustomize hasher_test vectors)', () => {
  it.each([
    ['empty data', 'apiVersion: v1\nkind: ConfigMap', '6ct58987ht'],
    ['one key', 'apiVersion: v1\nkind: ConfigMap\ndata:\n  one: ""', '9g67k2htb6'],
    ['three keys', 'apiVersion: v1\nkind: ConfigMap\ndata:\n  two: 2\n  one: ""\n  three: 3', '7757f9kkct'],
    ['one key with binary data', 'apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  one: ""', '6mtk2m274t'],
    ['three keys with binary data', 'apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  two: 2\n  one: ""\n  three: 3', '9th7kc28dg'],
    ['two keys with one each', 'apiVersion: v1\nkind: ConfigMap\ndata:\n  one: ""\nbinaryData:\n  two: ""', '698h7c7t9m'],
  ])('ConfigMap %s', (_name, yaml, hash) => {
    expect(hashConfigMap(obj(yaml))).toBe(hash);
    expect(hashResource(obj(yaml))).toBe(hash);
  });

  it.each([
    ['empty data', 'apiVersion: v1\nkind: Secret\ntype: my-type', '5gmgkf8578'],
    ['one key', 'apiVersion: v1\nkind: Secret\ntype: my-type\ndata:\n  one: ""', '74bd68bm66'],
    ['three keys', 'apiVersion: v1\nkind: Secret\ntype: my-type\ndata:\n  two: 2\n  one: ""\n  three: 3', '4gf75c7476'],
    ['stringdata', 'apiVersion: v1\nkind: Secret\ntype: my-type\ndata:\n  one: ""\nstringData:\n  two: 2', 'c4h4264gdb'],
  ])('Secret %s', (_name, yaml, hash) => {
    expect(hashSecret(obj(yaml))).toBe(hash);
  });

  it('ignores the name, labels and annotations (kustomize never finds metadata/name)', () => {
    const a = obj('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  one: ""');
    const b = obj('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  labels: {x: y}\ndata:\n  one: ""');
    expect(hashConfigMap(a)).toBe('9g67k2htb6');
    expect(hashConfigMap(b)).toBe('9g67k2htb6');
  });

  it('rejects kinds whose kustomize hash depends on YAML node internals', () => {
    expect(() => hashResource(obj('apiVersion: v1\nkind: Pod'))).toThrow(/only ConfigMap and Secret/);
  });

  it('hashSortedStrings is order independent', () => {
    expect(hashSortedStrings(['a', 'b', 'c', 'd'])).toBe(hashSortedStrings(['c', 'b', 'd', 'a']));
  });
});

describe.skipIf(!HAVE_CORPUS)('hash suffixes of the conformance corpus', () => {
  // Cases where the generated object is visible verbatim in the expected output.
  it.each([
    ['configmaps__TestDataEndsWithQuotes', 'test-k9cc55dfm5'],
    ['configmaps__TestDataIsSingleQuote', 'test-m8t7bmb6g2'],
    ['generatoroptions__TestSecretGenerator', 'bob-bh645k7tmg'],
    ['namespacedgenerators__TestNamespacedGenerator', 'the-map-tg7t5hk8bk'],
    ['namespacedgenerators__TestNamespacedGenerator', 'the-non-default-namespace-secret-8tc9gdd76t'],
    ['configmaps__TestGeneratorOverlaysBinaryData', 'p1-com1-96gmmt6gt5'],
    ['configmaps__TestGeneratorFromProperties', 'test-configmap-hdghb5ddkg'],
  ])('%s: %s', (caseName, name) => {
    const docs = parseAllDocuments(readCaseExpected(caseName)).map((doc) => doc.toJS() as JsonObject);
    const resource = docs.find((doc) => isJsonObject(doc.metadata) && doc.metadata.name === name);
    expect(resource).toBeDefined();
    expect(hashResource(resource!)).toBe(name.slice(-10));
  });

  it('reproduces every hash-suffixed ConfigMap/Secret name in every expected output', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const caseName of listCases()) {
      const expectedPath = join(CORPUS_CASES, caseName, 'expected.yaml');
      if (!existsSync(expectedPath)) continue;
      for (const doc of parseAllDocuments(readCaseExpected(caseName))) {
        const resource = doc.toJS() as JsonObject | null;
        if (!resource || (resource.kind !== 'ConfigMap' && resource.kind !== 'Secret')) continue;
        const name = isJsonObject(resource.metadata) ? String(resource.metadata.name) : '';
        const suffix = /-([a-z0-9]{10})$/.exec(name)?.[1];
        if (!suffix) continue;
        const hash = hashResource(resource);
        checked++;
        // "federation" happens to be 10 characters: a plain name, not a hash.
        if (hash !== suffix && !name.endsWith('-federation')) mismatches.push(`${caseName}: ${name} (computed ${hash})`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(80);
  });
});
