// JSON 6902 patch tests: input resource, operations, exact expected object. "corpus:" cases mirror
// api/krusty tests of the kustomize conformance corpus (Copyright The Kubernetes Authors,
// Apache-2.0; rewritten as JS objects).
import { describe, expect, it } from 'vitest';
import { applyJson6902Patch, parseJson6902Operations } from '../../../../lib/kustomize/patch/json6902.js';
import type { JsonObject } from '../../../../lib/kustomize/json.js';

const deployment = (): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx', labels: { app: 'nginx' } },
  spec: {
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'nginx-persistent-storage', mountPath: '/tmp/ps' }] }],
        volumes: [
          { name: 'nginx-persistent-storage', emptyDir: {} },
          { name: 'configmap-in-base', configMap: { name: 'configmap-in-base' } },
        ],
      },
    },
  },
});

describe('parseJson6902Operations', () => {
  it('reads YAML and JSON text', () => {
    const yaml = '- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: image1\n';
    const json = '[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "image1"}]';
    const expected = [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'image1' }];
    expect(parseJson6902Operations(yaml, 'patch.yaml')).toEqual(expected);
    expect(parseJson6902Operations(json, 'patch.json')).toEqual(expected);
  });

  it('uses YAML 1.1 scalars like sigs.k8s.io/yaml and only the first document', () => {
    expect(parseJson6902Operations('- op: add\n  path: /a\n  value: yes\n---\n- op: remove\n', 'p')).toEqual([
      { op: 'add', path: '/a', value: true },
    ]);
  });

  it('treats an empty or comment-only text as no operations', () => {
    expect(parseJson6902Operations('', 'p')).toEqual([]);
    expect(parseJson6902Operations('# nothing\n', 'p')).toEqual([]);
  });

  it('rejects non-lists', () => {
    expect(() => parseJson6902Operations('op: add\npath: /a\n', 'p.yaml')).toThrow(
      'decoding p.yaml: json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
    expect(() => parseJson6902Operations('[1]', 'p.json')).toThrow(/cannot unmarshal number into Go value of type jsonpatch.Operation/);
  });
});

describe('applyJson6902Patch', () => {
  it('corpus: inlinepatch__TestJSONPatchInline (replace in a list element)', () => {
    const ops = parseJson6902Operations('- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: image1\n', 'inline');
    const out = applyJson6902Patch(deployment(), ops, 'inline');
    const expected = deployment();
    (((expected.spec as JsonObject).template as JsonObject).spec as { containers: JsonObject[] }).containers[0]!.image = 'image1';
    expect(out).toEqual(expected);
  });

  it('add (object key, array index, "-"), remove, replace, move, copy, test', () => {
    const target: JsonObject = { apiVersion: 'v1', kind: 'X', metadata: { name: 'x' }, spec: { list: ['a', 'b'], m: { k: 1 } } };
    const out = applyJson6902Patch(
      target,
      [
        { op: 'test', path: '/spec/list/0', value: 'a' },
        { op: 'add', path: '/spec/list/1', value: 'ins' },
        { op: 'add', path: '/spec/list/-', value: 'end' },
        { op: 'add', path: '/spec/new', value: { z: true } },
        { op: 'remove', path: '/spec/list/0' },
        { op: 'replace', path: '/spec/m/k', value: 2 },
        { op: 'copy', from: '/spec/m', path: '/spec/m2' },
        { op: 'move', from: '/spec/new', path: '/spec/moved' },
      ],
      'p',
    );
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'x' },
      spec: { list: ['ins', 'b', 'end'], m: { k: 2 }, m2: { k: 2 }, moved: { z: true } },
    });
    expect(target.spec).toEqual({ list: ['a', 'b'], m: { k: 1 } }); // input untouched
  });

  it('decodes ~1 and ~0 in path segments', () => {
    const out = applyJson6902Patch(
      { kind: 'X', metadata: { annotations: { 'a/b': '1', 'c~d': '2' } } },
      [
        { op: 'replace', path: '/metadata/annotations/a~1b', value: 'x' },
        { op: 'remove', path: '/metadata/annotations/c~0d' },
        { op: 'add', path: '/metadata/annotations/e~1f', value: 'y' },
      ],
      'p',
    );
    expect(out).toEqual({ kind: 'X', metadata: { annotations: { 'a/b': 'x', 'e/f': 'y' } } });
  });

  it('evanphx/json-patch v4 quirks kept by kustomize', () => {
    const base = (): JsonObject => ({ kind: 'X', spec: { list: [1, 2] } });
    // replace of a missing object key adds it
    expect(applyJson6902Patch(base(), [{ op: 'replace', path: '/spec/new', value: 1 }], 'p')).toEqual({
      kind: 'X',
      spec: { list: [1, 2], new: 1 },
    });
    // negative indices count from the end; add at -1 appends
    expect(applyJson6902Patch(base(), [{ op: 'add', path: '/spec/list/-1', value: 3 }], 'p')).toEqual({
      kind: 'X',
      spec: { list: [1, 2, 3] },
    });
    // test of a missing key against null passes
    expect(applyJson6902Patch(base(), [{ op: 'test', path: '/spec/missing', value: null }], 'p')).toEqual(base());
  });

  it('reports errors with json-patch wording', () => {
    expect(() => applyJson6902Patch(deployment(), [{ op: 'add', path: '/spec/nope/x', value: 1 }], 'p')).toThrow(
      'add operation does not apply: doc is missing path: "/spec/nope/x": missing value',
    );
    expect(() => applyJson6902Patch(deployment(), [{ op: 'remove', path: '/spec/nope' }], 'p')).toThrow(
      "error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: missing value",
    );
    expect(() =>
      applyJson6902Patch(deployment(), [{ op: 'replace', path: '/spec/template/spec/containers/5', value: {} }], 'p'),
    ).toThrow('replace operation does not apply: doc is missing key: /spec/template/spec/containers/5: missing value');
    expect(() => applyJson6902Patch(deployment(), [{ op: 'test', path: '/kind', value: 'Service' }], 'p')).toThrow(
      'testing value /kind failed: test failed',
    );
    expect(() => applyJson6902Patch(deployment(), [{ op: 'frobnicate', path: '/kind' }], 'p')).toThrow('Unexpected kind: frobnicate');
  });
});
