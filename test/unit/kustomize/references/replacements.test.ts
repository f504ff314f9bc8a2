import { describe, expect, it } from 'vitest';
import type { ReplacementConfig } from '../../../../lib/kustomize/kustomization.js';
import type { PluginContext } from '../../../../lib/kustomize/plugins/plugin.js';
import { replacementTransformer } from '../../../../lib/kustomize/plugins/replacements.js';
import type { ResourceList } from '../../../../lib/kustomize/resources/resource-list.js';
import { list, objects, res } from './helpers.js';

function contextWith(files: Record<string, string> = {}): PluginContext {
  const loader = {
    load(path: string): string {
      const text = files[path];
      if (text === undefined) throw new Error(`'/${path}' doesn't exist`);
      return text;
    },
  };
  return { loader: loader as unknown as PluginContext['loader'] } as PluginContext;
}

function run(resources: ResourceList, replacements: ReplacementConfig[], files: Record<string, string> = {}): void {
  replacementTransformer({ replacements }, contextWith(files)).transform(resources);
}

const deployment = (name: string, image: string, extra: { renamedFrom?: string } = {}) =>
  res(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { template: { spec: { containers: [{ image, name: 'nginx' }] } } },
    },
    extra.renamedFrom ? { renamedFrom: [{ name: extra.renamedFrom }] } : {},
  );

describe('replacementTransformer', () => {
  // replacementtransformer__TestReplacementTransformerWithOriginalName (replacement read from a file)
  it('selects source and target by original names and reads `path:` files', () => {
    const resources = list(deployment('prefix2-prefix1-target', 'nginx:oldtag', { renamedFrom: 'target' }), deployment('prefix2-prefix1-source', 'nginx:newtag', { renamedFrom: 'source' }));
    resources.resources()[0]!.setPreviousId('default', 'prefix1-target', 'Deployment');
    const file = `source:
  name: source
  fieldPath: spec.template.spec.containers.0.image
targets:
- select:
    name: prefix1-target
  fieldPaths:
  - spec.template.spec.containers.[name=nginx].image
`;
    run(resources, [{ path: 'replacement.yaml' }], { 'replacement.yaml': file });
    expect(objects(resources)[0]!.spec).toEqual({ template: { spec: { containers: [{ image: 'nginx:newtag', name: 'nginx' }] } } });
  });

  it('refuses path together with an inline replacement', () => {
    expect(() => replacementTransformer({ replacements: [{ path: 'r.yaml', targets: [{ select: {} }] }] }, contextWith())).toThrow(
      'cannot specify both path and inline replacement',
    );
  });

  // replacementtransformer__TestReplacementTransformerServiceNamespaceUrlUsingRegex-style
  it('splits with delimiters on source and target, and selects targets by regex', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'prod' } }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', annotations: { url: 'http://old.ns.svc.cluster.local' } } }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-other', annotations: { url: 'http://x.y.svc' } } }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'skip', annotations: { url: 'a.b' } } }),
    );
    run(resources, [
      {
        source: { kind: 'Service', name: 'svc', fieldPath: 'metadata.namespace' },
        targets: [
          {
            select: { kind: 'ConfigMap', name: 'app-.*' },
            fieldPaths: ['metadata.annotations.url'],
            options: { delimiter: '.', index: 1 },
          },
        ],
      },
    ]);
    expect(objects(resources).map((o) => (o.metadata as { annotations?: unknown }).annotations)).toEqual([
      undefined,
      { url: 'http://old.prod.svc.cluster.local' },
      { url: 'http://x.prod.svc' },
      { url: 'a.b' },
    ]);
  });

  it('takes one part of a delimited source and appends/prepends in targets', () => {
    const resources = list(deployment('src', 'nginx:1.2.3'), deployment('t1', 'x'), res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'one,two' } }));
    run(resources, [
      {
        source: { name: 'src', fieldPath: 'spec.template.spec.containers.0.image', options: { delimiter: ':', index: 1 } },
        targets: [
          { select: { kind: 'ConfigMap' }, fieldPaths: ['data.a'], options: { delimiter: ',', index: -1 } },
          { select: { kind: 'ConfigMap' }, fieldPaths: ['data.a'], options: { delimiter: ',', index: 9 } },
        ],
      },
    ]);
    expect(objects(resources)[2]!.data).toEqual({ a: '1.2.3,one,two,1.2.3' });
  });

  // replacementtransformer__TestReplacementTransformerWithSuffixTransformerAndReject
  it('honours reject by id (current or previous) and by labels', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'source' }, data: { v: 'new' } }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a-suffix' }, data: { v: 'old' } }, { renamedFrom: [{ name: 'a' }] }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', labels: { keep: 'yes' } }, data: { v: 'old' } }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { v: 'old' } }),
    );
    run(resources, [
      {
        source: { kind: 'ConfigMap', name: 'source', fieldPath: 'data.v' },
        targets: [{ select: { kind: 'ConfigMap' }, reject: [{ name: 'source' }, { name: 'a' }, { labelSelector: 'keep=yes' }], fieldPaths: ['data.v'] }],
      },
    ]);
    expect(objects(resources).map((o) => (o.data as { v: string }).v)).toEqual(['new', 'old', 'old', 'new']);
  });

  it('creates missing fields with options.create, copies maps whole, and keeps the target scalar type', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'src', labels: { a: 'b' } }, data: { replicas: '5' } }),
      res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } }),
    );
    run(resources, [
      { source: { name: 'src', fieldPath: 'data.replicas' }, targets: [{ select: { kind: 'Deployment' }, fieldPaths: ['spec.replicas'] }] },
      {
        source: { name: 'src', fieldPath: 'metadata.labels' },
        targets: [{ select: { kind: 'Deployment' }, fieldPaths: ['spec.selector.matchLabels', 'spec.template.spec.containers.[name=app].env'], options: { create: true } }],
      },
      { sourceValue: '42', targets: [{ select: { kind: 'Deployment' }, fieldPaths: ['spec.minReadySeconds'], options: { create: true } }] },
    ]);
    expect(objects(resources)[1]!.spec).toEqual({
      replicas: 5,
      selector: { matchLabels: { a: 'b' } },
      template: { spec: { containers: [{ name: 'app', env: { a: 'b' } }] } },
      minReadySeconds: 42,
    });
  });

  it('uses kyaml path matching: wildcards and unanchored [key=regex]', () => {
    const resources = list(
      res({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          containers: [
            { name: 'nginx', image: 'a' },
            { name: 'nginx-sidecar', image: 'b' },
            { name: 'other', image: 'c' },
          ],
        },
      }),
    );
    run(resources, [
      { sourceValue: 'X', targets: [{ select: { kind: 'Pod' }, fieldPaths: ['spec.containers.[name=nginx].image'] }] },
      { sourceValue: 'Y', targets: [{ select: { kind: 'Pod' }, fieldPaths: ['spec.containers.*.name'] }] },
    ]);
    expect(objects(resources)[0]!.spec).toEqual({
      containers: [
        { name: 'Y', image: 'X' },
        { name: 'Y', image: 'X' },
        { name: 'Y', image: 'c' },
      ],
    });
  });

  it('sets values inside JSON held in a string field', () => {
    const resources = list(res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { 'config.json': '{"b": 1, "a": {"host": "old"}}' } }));
    run(resources, [{ sourceValue: 'new<host>', targets: [{ select: { kind: 'ConfigMap' }, fieldPaths: ['data.[config.json].a.host'] }] }]);
    expect(objects(resources)[0]!.data).toEqual({ 'config.json': '{"a":{"host":"new\\u003chost\\u003e"},"b":1}' });
  });

  it('reports kustomize errors', () => {
    const make = () => list(deployment('a', 'x'), deployment('b', 'y'));
    expect(() => run(make(), [{ source: { kind: 'Deployment' }, targets: [] }])).toThrow('multiple matches for selector Deployment.[noVer].[noGrp]/[noName].[noNs]');
    expect(() => run(make(), [{ source: { name: 'zzz', fieldPath: 'spec' }, targets: [] }])).toThrow('nothing selected by [noKind].[noVer].[noGrp]/zzz.[noNs]:spec');
    expect(() => run(make(), [{ source: { name: 'a', fieldPath: 'spec.nope' }, targets: [] }])).toThrow(
      'fieldPath `spec.nope` is missing for replacement source [noKind].[noVer].[noGrp]/a.[noNs]',
    );
    expect(() => run(make(), [{ source: { name: 'a' }, targets: [{ select: { name: 'b' }, fieldPaths: ['spec.missing.field'] }] }])).toThrow(
      'unable to find field "spec.missing.field" in replacement target',
    );
    expect(() => run(make(), [{ source: { name: 'a' } }])).toThrow('replacements must specify a source and at least one target');
    expect(() => run(make(), [{ source: { name: 'a' }, sourceValue: 'x', targets: [] }])).toThrow('value and resource selectors are mutually exclusive');
    expect(() => run(make(), [{ sourceValue: 'x', targets: [{ fieldPaths: ['a'] }] }])).toThrow('target must specify resources to select');
  });
});
