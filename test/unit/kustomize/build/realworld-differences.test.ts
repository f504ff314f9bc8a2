import { describe, expect, it } from 'vitest';
import { buildKustomization, MemoryFileSystem } from '../../../../lib/kustomize/index.js';

/**
 * The differences the real-world corpus found against kustomize v5.6.0 (kubectl 1.33), each as a
 * minimal case: write these files, build, expect this YAML (checked against kubectl kustomize).
 */
const build = (files: Record<string, string>, dir = '/app') => buildKustomization(new MemoryFileSystem(files), dir).yaml;
const one = (resource: string) => build({ '/app/kustomization.yaml': 'resources: [r.yaml]\n', '/app/r.yaml': resource });
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n';

describe('block scalar at the end of a file without a final newline', () => {
  it('has no final line break (clip, keep and folded)', () => {
    expect(one(`${configMap}  a: |\n    l1\n    l2`)).toBe('apiVersion: v1\ndata:\n  a: |-\n    l1\n    l2\nkind: ConfigMap\nmetadata:\n  name: x\n');
    expect(one(`${configMap}  a: |+\n    l1\n    l2`)).toBe('apiVersion: v1\ndata:\n  a: |-\n    l1\n    l2\nkind: ConfigMap\nmetadata:\n  name: x\n');
    expect(one(`${configMap}  a: >\n    l1\n    l2`)).toBe('apiVersion: v1\ndata:\n  a: l1 l2\nkind: ConfigMap\nmetadata:\n  name: x\n');
  });

  it('keeps the line break where a newline, a comment or a document separator follows', () => {
    expect(one(`${configMap}  a: |\n    l1\n    l2\n# c`)).toBe('apiVersion: v1\ndata:\n  a: |\n    l1\n    l2\nkind: ConfigMap\nmetadata:\n  name: x\n');
    expect(one(`${configMap}  a: |\n    l1\n---\n${configMap.replace('x', 'z')}  b: |\n    l2`)).toBe(
      'apiVersion: v1\ndata:\n  a: |\n    l1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\ndata:\n  b: l2\nkind: ConfigMap\nmetadata:\n  name: z\n',
    );
    expect(one(`${configMap}  a: |+\n    l1\n\n  `)).toBe('apiVersion: v1\ndata:\n  a: |+\n    l1\n\nkind: ConfigMap\nmetadata:\n  name: x\n');
  });
});

describe('empty or null metadata.annotations', () => {
  it('is dropped; labels are kept', () => {
    const resource = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  annotations:${value}\n  labels:${value}\n`;
    expect(one([resource('a', ''), resource('b', ' {}'), resource('c', ' null')].join('---\n'))).toBe(
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: null\n  name: a\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n  name: b\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: null\n  name: c\n',
      ].join('---\n'),
    );
  });
});

describe('strategic merge and empty values of the target', () => {
  const deployment = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: x',
    '  labels:',
    '    e:',
    '    n: Null',
    '    q: ""',
    'spec:',
    '  template:',
    '    spec:',
    '      affinity:',
    '        nodeAffinity:',
    '          preferred:',
    '          required:',
    '      containers:',
    '      - name: a',
    '        image: i',
    '        emptyc:',
    '        nullc: null',
    '        tilde: ~',
    '      other:',
    '      - a:',
    '  emptyspec:',
    '',
  ].join('\n');
  const patch = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: j\n';

  it('drops `key:` fields, keeps null and ~, prints {} for an emptied map, leaves plain lists alone', () => {
    expect(build({ '/app/kustomization.yaml': 'resources: [r.yaml]\npatches:\n- path: p.yaml\n', '/app/r.yaml': deployment, '/app/p.yaml': patch })).toBe(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  labels:',
        '    "n": null',
        '    q: ""',
        '  name: x',
        'spec:',
        '  template:',
        '    spec:',
        '      affinity:',
        '        nodeAffinity: {}',
        '      containers:',
        '      - image: j',
        '        name: a',
        '        nullc: null',
        '        tilde: null',
        '      other:',
        '      - a: null',
        '',
      ].join('\n'),
    );
  });

  it('leaves a resource no patch touches as it was', () => {
    expect(one(deployment)).toContain('  emptyspec: null\n');
  });
});

describe('built-in LabelTransformer / AnnotationsTransformer under transformers:', () => {
  it('turns numbers and booleans into strings', () => {
    const files = {
      '/app/kustomization.yaml': 'resources: [r.yaml]\ntransformers: [labels.yaml, annotations.yaml]\n',
      '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
      '/app/labels.yaml': 'apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  tier: 51\n  canary: true\nfieldSpecs:\n- path: metadata/labels\n  create: true\n',
      '/app/annotations.yaml': 'apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata:\n  name: a\nannotations:\n  ratio: 1.5\nfieldSpecs:\n- path: metadata/annotations\n  create: true\n',
    };
    expect(build(files)).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    ratio: "1.5"\n  labels:\n    canary: "true"\n    tier: "51"\n  name: x\n');
  });
});

describe('ValueAddTransformer', () => {
  it('adds the directory name (or value) to namespaces and file-path fields', () => {
    const files = {
      '/proj-x/kustomization.yaml': 'resources: [r.yaml]\ntransformers: [t.yaml]\n',
      '/proj-x/r.yaml': [
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: old\ndata:\n  p: /a/b/c\n  q: ""\n',
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n',
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n',
      ].join('---\n'),
      '/proj-x/t.yaml': [
        'apiVersion: builtin',
        'kind: ValueAddTransformer',
        'metadata:',
        '  name: x',
        'targets:',
        '- fieldPath: metadata/namespace',
        '- selector: {kind: ConfigMap}',
        '  fieldPath: data/p',
        '  filePathPosition: 2',
        '- selector: {kind: ConfigMap}',
        '  fieldPath: data/q',
        '  filePathPosition: 1',
        '- selector: {kind: ConfigMap}',
        '  fieldPath: data/new/deep',
        '- selector: {kind: Secret}',
        '  fieldPath: data/p',
        '  filePathPosition: 9',
        '',
      ].join('\n'),
    };
    expect(build(files, '/proj-x')).toBe(
      [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n',
        'apiVersion: v1\ndata:\n  new:\n    deep: proj-x\n  p: /a/proj-x/b/c\n  q: proj-x\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: proj-x\n',
        'apiVersion: v1\ndata:\n  p: proj-x\nkind: Secret\nmetadata:\n  name: s\n  namespace: proj-x\n',
      ].join('---\n'),
    );
  });
});

describe('openapi: { path } (custom merge keys)', () => {
  const schema = JSON.stringify({
    definitions: {
      'v1alpha1.MyResource': {
        properties: { spec: { properties: { containers: { items: { $ref: '#/definitions/C' }, type: 'array', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' } } } },
        'x-kubernetes-group-version-kind': [{ group: 'example.com', kind: 'MyResource', version: 'v1alpha1' }],
      },
      C: { properties: { name: { type: 'string' } } },
    },
  });
  const files = {
    '/app/kustomization.yaml': [
      'resources: [r.yaml, d.yaml]',
      'openapi:',
      '  path: schema.json',
      'patches:',
      '- patch: |-',
      '    apiVersion: example.com/v1alpha1\n    kind: MyResource\n    metadata:\n      name: r\n    spec:\n      containers:\n      - name: b\n        image: new',
      '- patch: |-',
      '    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: d\n    spec:\n      template:\n        spec:\n          containers:\n          - name: b\n            image: new',
      '',
    ].join('\n'),
    '/app/schema.json': schema,
    '/app/r.yaml': 'apiVersion: example.com/v1alpha1\nkind: MyResource\nmetadata:\n  name: r\nspec:\n  containers:\n  - name: a\n    image: old\n  - name: b\n    image: old\n',
    '/app/d.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: old\n',
  };

  it('merges lists of the kinds it defines by key (kyaml order) and replaces the built-in schema', () => {
    expect(build(files)).toBe(
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - image: new\n        name: b\n',
        'apiVersion: example.com/v1alpha1\nkind: MyResource\nmetadata:\n  name: r\nspec:\n  containers:\n  - image: new\n    name: b\n  - image: old\n    name: a\n',
      ].join('---\n'),
    );
  });
});
