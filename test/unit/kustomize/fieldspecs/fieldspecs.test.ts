import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../../lib/kustomize/json.js';
import {
  BUILTIN_COMMON_LABELS,
  BUILTIN_IMAGES,
  BUILTIN_NAME_REFERENCE,
  BUILTIN_NAMESPACE,
  BUILTIN_VAR_REFERENCE,
  compareGvk,
  defaultTransformerConfig,
  emptyTransformerConfig,
  fieldSpecMatches,
  lookupFieldPath,
  makeTransformerConfig,
  mergeTransformerConfigs,
  parseFieldPath,
  parseTransformerConfig,
  resIdString,
  smarterPathSplit,
  splitFieldSpecPath,
  visitFieldSpec,
  walkFieldPath,
  type CreateKind,
  type FieldSpec,
} from '../../../../lib/kustomize/fieldspecs/index.js';

const obj = (text: string) => parse(text) as JsonObject;

describe('built-in field specs', () => {
  it('transcribes kustomize\'s tables', () => {
    expect(BUILTIN_COMMON_LABELS).toHaveLength(32);
    expect(BUILTIN_COMMON_LABELS).toContainEqual({ version: 'v1', kind: 'Service', path: 'spec/selector', create: true });
    expect(BUILTIN_COMMON_LABELS).toContainEqual({ group: 'apps', kind: 'StatefulSet', path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true });
    expect(BUILTIN_IMAGES[0]).toEqual({ path: 'spec/containers[]/image', create: true });
    expect(BUILTIN_NAMESPACE).toHaveLength(3);
    expect(BUILTIN_VAR_REFERENCE).toHaveLength(72);
    const configMapRefs = BUILTIN_NAME_REFERENCE.find((nbr) => nbr.gvk.kind === 'ConfigMap');
    expect(configMapRefs?.gvk).toEqual({ version: 'v1', kind: 'ConfigMap' });
    expect(configMapRefs?.fieldSpecs).toContainEqual({ version: 'v1', kind: 'Pod', path: 'spec/volumes/configMap/name' });
    expect(BUILTIN_NAME_REFERENCE.flatMap((nbr) => nbr.fieldSpecs).map((spec) => spec.path)).toContain(
      'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret',
    );
  });

  it('defaultTransformerConfig sorts by GVK like kustomize and cannot be mutated by a caller', () => {
    const config = defaultTransformerConfig();
    // kustomize's kind order (Namespace, ..., StorageClass, ..., ConfigMap, ...) first, then other kinds by group_version_kind.
    expect(config.namespace.map((spec) => spec.kind)).toEqual(['Namespace', 'CustomResourceDefinition', 'APIService']);
    expect(config.nameReference.map((nbr) => nbr.gvk.kind).slice(0, 4)).toEqual(['StorageClass', 'ServiceAccount', 'Role', 'ClusterRole']);
    expect(() => {
      config.commonLabels.length = 0;
    }).toThrow(TypeError);
    expect(defaultTransformerConfig().commonLabels).toHaveLength(32);
    expect(config.labels).toEqual([]);
  });

  it('compareGvk is kustomize\'s IsLessThan', () => {
    expect(compareGvk({ kind: 'Namespace' }, { kind: 'Deployment' })).toBeLessThan(0);
    expect(compareGvk({ kind: 'ValidatingWebhookConfiguration' }, { kind: 'Foo' })).toBeGreaterThan(0);
    expect(compareGvk({ group: 'apps', kind: 'X' }, { kind: 'X' })).toBeLessThan(0); // "apps" < "~G"
  });
});

describe('configurations files', () => {
  const file = `
commonLabels:
- path: spec/selector/matchLabels
  create: true
  kind: MyKind
nameReference:
- kind: Secret
  version: v1
  fieldSpecs:
  - path: spec/secretRef/name
    kind: MyKind
varReference:
- path: spec/text
  kind: MyKind
`;

  it('parses a user configuration', () => {
    const config = parseTransformerConfig(file, 'config.yaml');
    expect(config.commonLabels).toEqual([{ kind: 'MyKind', path: 'spec/selector/matchLabels', create: true }]);
    expect(config.nameReference).toEqual([{ gvk: { version: 'v1', kind: 'Secret' }, fieldSpecs: [{ kind: 'MyKind', path: 'spec/secretRef/name' }] }]);
    expect(config.varReference).toEqual([{ kind: 'MyKind', path: 'spec/text' }]);
    expect(parseTransformerConfig('', 'empty.yaml')).toEqual(emptyTransformerConfig());
  });

  it('is strict like UnmarshalStrict', () => {
    expect(() => parseTransformerConfig('commonLabel:\n- path: a', 'c.yaml')).toThrow('c.yaml: error unmarshaling JSON: while decoding JSON: json: unknown field "commonLabel"');
    expect(() => parseTransformerConfig('images:\n- path: a\n  kin: X', 'c.yaml')).toThrow('unknown field "kin"');
    expect(() => parseTransformerConfig('images:\n- path: a\n  create: "true"', 'c.yaml')).toThrow(/cannot unmarshal string into Go struct field FieldSpec.images.create of type bool/);
    expect(() => parseTransformerConfig('a: 1\na: 2', 'c.yaml')).toThrow(/c\.yaml: .*unique/);
    // YAML 1.1 booleans, as with sigs.k8s.io/yaml.
    expect(parseTransformerConfig('images:\n- path: a\n  create: yes', 'c.yaml').images).toEqual([{ path: 'a', create: true }]);
  });

  it('merges with dedupe, conflict detection and nameReference grouping', () => {
    const user = parseTransformerConfig(file, 'config.yaml');
    const merged = makeTransformerConfig([user]);
    expect(merged.commonLabels).toHaveLength(33);
    const secretRefs = merged.nameReference.find((nbr) => nbr.gvk.kind === 'Secret' && nbr.gvk.version === 'v1')!;
    expect(secretRefs.fieldSpecs).toContainEqual({ kind: 'MyKind', path: 'spec/secretRef/name' });
    expect(merged.nameReference.filter((nbr) => nbr.gvk.kind === 'Secret')).toHaveLength(1);
    // Merging the same thing twice changes nothing.
    expect(mergeTransformerConfigs(merged, user)).toEqual(merged);
  });

  it('drops an incoming spec whose GVK selects an existing one with the same path (asymmetric)', () => {
    const withKind = { ...emptyTransformerConfig(), commonLabels: [{ kind: 'Deployment', path: 'metadata/labels', create: true }] };
    const anyKind = { ...emptyTransformerConfig(), commonLabels: [{ path: 'metadata/labels', create: true }] };
    expect(mergeTransformerConfigs(withKind, anyKind).commonLabels).toEqual([{ kind: 'Deployment', path: 'metadata/labels', create: true }]);
    expect(mergeTransformerConfigs(anyKind, withKind).commonLabels).toHaveLength(2);
  });

  it('reports conflicting create flags', () => {
    const a = { ...emptyTransformerConfig(), images: [{ path: 'spec/x', create: true }] };
    const b = { ...emptyTransformerConfig(), images: [{ path: 'spec/x' }] };
    expect(() => mergeTransformerConfigs(a, b)).toThrow('failed to merge Images fieldSpec: conflicting fieldspecs');
    const ns = { ...emptyTransformerConfig(), namespace: [{ kind: 'Namespace', path: 'metadata/name' }] };
    expect(() => makeTransformerConfig([ns])).toThrow('failed to merge NameSpace fieldSpec: conflicting fieldspecs');
  });
});

describe('fieldSpecMatches (Gvk.IsSelected)', () => {
  it.each<[FieldSpec, string, string, boolean]>([
    [{ path: 'a' }, 'apps/v1', 'Deployment', true],
    [{ kind: 'Deployment', path: 'a' }, 'extensions/v1beta1', 'Deployment', true],
    [{ group: 'apps', kind: 'Deployment', path: 'a' }, 'extensions/v1beta1', 'Deployment', false],
    [{ version: 'v1', path: 'a' }, 'v1', 'Service', true],
    [{ group: 'v1', path: 'a' }, 'v1', 'Service', false],
    [{ group: 'foo', version: 'v1beta1', path: 'a' }, 'foo/v1beta2/something', 'Bar', false],
    [{ group: 'foo', version: 'v1beta2/something', path: 'a' }, 'foo/v1beta2/something', 'Bar', true],
    [{ kind: 'Bar', path: 'a' }, '', '', false],
  ])('%j selects %s %s: %s', (spec, apiVersion, kind, expected) => {
    expect(fieldSpecMatches(spec, { apiVersion, kind })).toBe(expected);
  });

  it('formats ResIds like kustomize', () => {
    expect(resIdString(obj('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}'))).toBe('Deployment.v1.apps/web.prod');
    expect(resIdString(obj('kind: Bar'))).toBe('Bar.[noVer].[noGrp]/[noName].[noNs]');
  });
});

/** Runs a field spec with a "set scalar" visitor, like kustomize's fieldspec tests. */
function setScalar(input: string, spec: FieldSpec, value: JsonValue, createKind?: CreateKind): JsonObject {
  const resource = obj(input);
  visitFieldSpec(resource, spec, (field) => field.set(value), { createKind });
  return resource;
}

// Cases from kustomize's api/filters/fieldspec/fieldspec_test.go.
describe('visitFieldSpec', () => {
  it('updates an existing field', () => {
    expect(setScalar('apiVersion: foo/v1beta1\nkind: Bar\na:\n  b: c', { group: 'foo', kind: 'Bar', path: 'a/b' }, 'e')).toEqual(
      obj('apiVersion: foo/v1beta1\nkind: Bar\na:\n  b: e'),
    );
  });

  it('does nothing for other kinds/groups/versions', () => {
    const input = 'apiVersion: foo2/v1beta1\nkind: Bar\na:\n  b: c';
    expect(setScalar(input, { group: 'foo1', kind: 'Bar', path: 'a/b' }, 'e')).toEqual(obj(input));
  });

  it('fails when the path runs into a scalar', () => {
    expect(() => setScalar('kind: Bar\na:\n  b: a', { kind: 'Bar', path: 'a/b/c' }, 'e')).toThrow(
      "considering field 'a/b/c' of object Bar.[noVer].[noGrp]/[noName].[noNs]: expected sequence or mapping node",
    );
  });

  it('fails on an empty path', () => {
    expect(() => setScalar('apiVersion: foo/v1\nkind: Bar\nxxx:', { group: 'foo', version: 'v1', kind: 'Bar', path: '' }, 'e')).toThrow(
      "considering field '' of object Bar.v1.foo/[noName].[noNs]: cannot set or create an empty field name",
    );
  });

  it('creates the whole path when create is set and a CreateKind is given', () => {
    const spec = { group: 'foo', kind: 'Bar', path: 'a/b/c/d', create: true };
    expect(setScalar('apiVersion: foo/v1beta1\nkind: Bar\na: {}', spec, 'e', 'scalar')).toEqual(
      obj('apiVersion: foo/v1beta1\nkind: Bar\na: {b: {c: {d: e}}}'),
    );
    // Without a CreateKind kustomize creates nothing, even for create: true.
    expect(setScalar('apiVersion: foo/v1beta1\nkind: Bar\na: {}', spec, 'e')).toEqual(obj('apiVersion: foo/v1beta1\nkind: Bar\na: {}'));
  });

  it('creates a map leaf for labels', () => {
    const resource = obj('apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    metadata:\n      labels: null');
    let created: JsonValue | undefined;
    visitFieldSpec(resource, { kind: 'Deployment', path: 'spec/selector/matchLabels', create: true }, (field) => {
      created = field.value;
      (field.value as JsonObject).app = 'x';
    }, { createKind: 'map' });
    visitFieldSpec(resource, { kind: 'Deployment', path: 'spec/template/metadata/labels', create: true }, (field) => {
      (field.value as JsonObject).app = 'x';
    }, { createKind: 'map' });
    expect(created).toEqual({ app: 'x' });
    expect(resource.spec).toEqual({ selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } } } });
  });

  it('descends into every sequence element, with or without the [] hint', () => {
    const input = 'apiVersion: v1\nkind: Bar\nspec:\n  containers:\n  - image: foo\n  - name: no-image\n  - image: baz';
    const locations: (string | number)[][] = [];
    const resource = obj(input);
    visitFieldSpec(resource, { version: 'v1', kind: 'Bar', path: 'spec/containers/image' }, (field) => {
      locations.push(field.location);
      field.set('bar');
    });
    expect(locations).toEqual([
      ['spec', 'containers', 0, 'image'],
      ['spec', 'containers', 2, 'image'],
    ]);
    expect(setScalar(input, { version: 'v1', kind: 'Bar', path: 'spec/containers[]/image' }, 'bar')).toEqual(resource);
  });

  it('creates inside existing sequence elements but never creates a sequence', () => {
    const spec = { group: 'foo', kind: 'Bar', path: 'a/b[]/c/d', create: true };
    expect(setScalar('apiVersion: foo/v1beta1\nkind: Bar\na: {}', spec, 'e', 'scalar')).toEqual(obj('apiVersion: foo/v1beta1\nkind: Bar\na: {}'));
    expect(setScalar('apiVersion: foo/v1beta1\nkind: Bar\na:\n  b:\n  - c: {}', spec, 'e', 'scalar')).toEqual(
      obj('apiVersion: foo/v1beta1\nkind: Bar\na:\n  b:\n  - c: {d: e}'),
    );
  });

  it('turns a null hinted sequence into [] but leaves an unhinted null alone', () => {
    expect(setScalar('apiVersion: v1\nkind: Bar\nspec:\n  containers:', { version: 'v1', kind: 'Bar', path: 'spec/containers[]/image' }, 'bar', 'scalar')).toEqual(
      obj('apiVersion: v1\nkind: Bar\nspec:\n  containers: []'),
    );
    expect(setScalar('apiVersion: v1\nkind: Bar\nspec:\n  containers:', { version: 'v1', kind: 'Bar', path: 'spec/containers/image' }, 'bar', 'scalar')).toEqual(
      obj('apiVersion: v1\nkind: Bar\nspec:\n  containers:'),
    );
  });

  it('visits a null leaf (kustomize calls the setter on it)', () => {
    const values: JsonValue[] = [];
    visitFieldSpec(obj('kind: X\nmetadata:\n  name:'), { path: 'metadata/name' }, (field) => values.push(field.value));
    expect(values).toEqual([null]);
  });

  it('honours \\/ inside segments', () => {
    expect(splitFieldSpecPath('a/b\\/c/d\\/e/f')).toEqual(['a', 'b/c', 'd/e', 'f']);
    expect(splitFieldSpecPath('/a/b')).toEqual(['a', 'b']);
    expect(setScalar('apiVersion: v1\nkind: Bar\na:\n  b/c:\n    d/e:\n      f: foo', { version: 'v1', kind: 'Bar', path: 'a/b\\/c/d\\/e/f' }, 'bar')).toEqual(
      obj('apiVersion: v1\nkind: Bar\na:\n  b/c:\n    d/e:\n      f: bar'),
    );
  });

  it('prefixes errors raised inside sequences, visitor errors included', () => {
    const resource = obj('apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr}\nrules:\n- resourceNames: {foo: bar}');
    expect(() =>
      visitFieldSpec(resource, { kind: 'ClusterRole', path: 'rules/resourceNames' }, () => {
        throw new Error("path config error; no 'name' field in node");
      }),
    ).toThrow(
      "considering field 'rules/resourceNames' of object ClusterRole.v1.rbac.authorization.k8s.io/cr.[noNs]: visit traversal on path: [resourceNames]: path config error; no 'name' field in node",
    );
    expect(() => walkFieldPath(obj('a: [1, 2]'), 'a/b', undefined, () => undefined)).toThrow(
      'visit traversal on path: [b]: expected sequence or mapping node',
    );
  });

  it('applies the built-in commonLabels specs to a Deployment', () => {
    const resource = obj('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c}]');
    for (const spec of defaultTransformerConfig().commonLabels) {
      visitFieldSpec(resource, spec, (field) => {
        (field.value as JsonObject).team = 'x';
      }, { createKind: 'map' });
    }
    expect(resource).toEqual(
      obj(`apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {team: x}}
spec:
  selector: {matchLabels: {team: x}}
  template:
    metadata: {labels: {team: x}}
    spec:
      containers: [{name: c}]`),
    );
  });
});

describe('kyaml field paths (replacements)', () => {
  it('splits like SmarterPathSplitter', () => {
    expect(smarterPathSplit('spec.template.spec.containers.[name=com.foo.someapp].image', '.')).toEqual([
      'spec', 'template', 'spec', 'containers', '[name=com.foo.someapp]', 'image',
    ]);
    expect(smarterPathSplit('metadata.annotations.[a.b.c]', '.')).toEqual(['metadata', 'annotations', 'a.b.c']);
    expect(smarterPathSplit('a.b\\.c.d', '.')).toEqual(['a', 'b.c', 'd']);
  });

  it('parses both syntaxes', () => {
    expect(parseFieldPath('spec.containers.[name=nginx].image', { syntax: 'dot' })).toEqual([
      { type: 'field', name: 'spec' },
      { type: 'field', name: 'containers' },
      { type: 'match', key: 'name', value: 'nginx' },
      { type: 'field', name: 'image' },
    ]);
    expect(parseFieldPath('spec.args.[=-jar]', { syntax: 'dot' })[2]).toEqual({ type: 'match', key: '', value: '-jar' });
    expect(parseFieldPath('spec.ports.0.port', { syntax: 'dot' })[2]).toEqual({ type: 'index', index: 0 });
    expect(parseFieldPath('spec.ports.-', { syntax: 'dot' })[2]).toEqual({ type: 'index', index: -1 });
    expect(parseFieldPath('spec.ports.-', { syntax: 'dot', flavor: 'matcher' })[2]).toEqual({ type: 'field', name: '-' });
    expect(parseFieldPath('spec.*.x', { syntax: 'dot', flavor: 'matcher' })[1]).toEqual({ type: 'wildcard' });
    expect(() => parseFieldPath('spec.*.x', { syntax: 'dot' })).toThrow('wildcard is not supported in PathGetter');
    expect(() => parseFieldPath('a.-1', { syntax: 'dot' })).toThrow('array index -1 cannot be negative');
    expect(() => parseFieldPath('a.[name]', { syntax: 'dot' })).toThrow('list path element must contain fieldName=fieldValue for element to match');
    expect(parseFieldPath('spec/containers[]/image', { syntax: 'slash' })).toEqual([
      { type: 'field', name: 'spec' },
      { type: 'field', name: 'containers', sequenceHint: true },
      { type: 'field', name: 'image' },
    ]);
  });

  it('looks values up like yaml.Lookup', () => {
    const pod = obj('spec:\n  containers:\n  - name: a\n    image: a:1\n  - name: nginx\n    image: nginx:2\n  args: [x, -jar]\n  ports: [{port: 80}]');
    const get = (path: string) => lookupFieldPath(pod, parseFieldPath(path, { syntax: 'dot' }));
    expect(get('spec.containers.[name=nginx].image')).toBe('nginx:2');
    expect(get('spec.containers.0.name')).toBe('a');
    expect(get('spec.containers.-.name')).toBe('nginx');
    expect(get('spec.args.[=-jar]')).toBe('-jar');
    expect(get('spec.ports.[port=80].port')).toBe(80);
    expect(get('spec.containers.[name=none].image')).toBeUndefined();
    expect(get('spec.missing.deeper')).toBeUndefined();
    expect(() => get('spec.containers.name')).toThrow('wrong node kind: expected MappingNode but got SequenceNode');
  });
});
