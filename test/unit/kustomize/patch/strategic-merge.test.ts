// Strategic-merge patch tests in the style of kustomize's harness: input resource, patch, exact
// expected object. Cases marked "corpus:" mirror api/krusty tests from the kustomize conformance
// corpus; cases marked "kyaml:" mirror kyaml merge2 / patchstrategicmerge tests (kustomize,
// Copyright The Kubernetes Authors, Apache-2.0; inputs rewritten as JS objects).
import { describe, expect, it } from 'vitest';
import {
  applyStrategicMergePatch,
  kubernetesSchemaLookup,
  mergeWalk,
} from '../../../../lib/kustomize/patch/strategic-merge.js';
import {
  KUBERNETES_RESOURCE_SCHEMAS,
  KUBERNETES_SCHEMA_DEFINITIONS,
} from '../../../../lib/kustomize/patch/kubernetes-merge-keys.generated.js';
import type { JsonObject, JsonValue } from '../../../../lib/kustomize/json.js';
import { KustomizeError } from '../../../../lib/kustomize/errors.js';

function deployment(podSpec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', ...metadata },
    spec: { template: { spec: podSpec } },
  };
}

function containersOf(r: JsonObject | null): JsonValue {
  return ((r?.spec as JsonObject).template as JsonObject & { spec: JsonObject }).spec.containers as JsonValue;
}

describe('generated Kubernetes 1.21.2 merge keys', () => {
  it('indexes resources by exact apiVersion/kind', () => {
    expect(KUBERNETES_RESOURCE_SCHEMAS['apps/v1/Deployment']).toBe('api.apps.v1.Deployment');
    expect(KUBERNETES_RESOURCE_SCHEMAS['v1/Service']).toBe('api.core.v1.Service');
    expect(kubernetesSchemaLookup('apps/v1', 'KubernetesDeployment')).toBeUndefined();
    expect(kubernetesSchemaLookup('apps/v2', 'Deployment')).toBeUndefined();
  });

  it('carries merge keys and strategies as kyaml reads them', () => {
    const podSpec = KUBERNETES_SCHEMA_DEFINITIONS['api.core.v1.PodSpec']?.p ?? {};
    expect(podSpec.containers).toEqual({ ps: 'merge', mk: ['name'], it: 'api.core.v1.Container' });
    expect(podSpec.volumes).toMatchObject({ ps: 'merge,retainKeys', mk: ['name'] });
    // x-kubernetes-list-map-keys win over x-kubernetes-patch-merge-key
    expect(KUBERNETES_SCHEMA_DEFINITIONS['api.core.v1.Container']?.p?.ports).toMatchObject({
      mk: ['containerPort', 'protocol'],
    });
    expect(KUBERNETES_SCHEMA_DEFINITIONS['api.core.v1.ServiceSpec']?.p?.ports).toMatchObject({ mk: ['port', 'protocol'] });
    expect(KUBERNETES_SCHEMA_DEFINITIONS['apimachinery.pkg.apis.meta.v1.ObjectMeta']?.p?.finalizers).toEqual({
      ps: 'merge',
      it: {},
    });
  });
});

describe('applyStrategicMergePatch: maps and scalars', () => {
  it('kyaml: simple scalar override', () => {
    const out = applyStrategicMergePatch(
      { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'clown' }, spec: { numReplicas: 1 } },
      { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'clown' }, spec: { numReplicas: 999 } },
    );
    expect(out).toEqual({ apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'clown' }, spec: { numReplicas: 999 } });
  });

  it('merges maps recursively, appends new keys, null deletes a field', () => {
    const target: JsonObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', labels: { a: '1', b: '2' } },
      data: { keep: 'x', drop: 'y' },
    };
    const patch: JsonObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', labels: { b: null, c: '3' } },
      data: { drop: null, added: 'z' },
    };
    const out = applyStrategicMergePatch(target, patch);
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', labels: { a: '1', c: '3' } },
      data: { keep: 'x', added: 'z' },
    });
    expect(Object.keys((out as JsonObject).data as JsonObject)).toEqual(['keep', 'added']);
    // inputs are not modified
    expect(target.data).toEqual({ keep: 'x', drop: 'y' });
    expect((patch.metadata as JsonObject).labels).toEqual({ b: null, c: '3' });
  });

  it('corpus: multiplepatch__TestRemoveEmptyDirWithNullFieldInSmp (null removes a map field)', () => {
    const target = deployment({
      containers: [{ name: 'nginx', image: 'nginx' }],
      volumes: [{ name: 'nginx-persistent-storage', emptyDir: {} }],
    });
    const patch = deployment({
      volumes: [{ name: 'nginx-persistent-storage', emptyDir: null, gcePersistentDisk: { pdName: 'nginx-persistent-storage' } }],
    });
    expect(applyStrategicMergePatch(target, patch)).toEqual(
      deployment({
        containers: [{ name: 'nginx', image: 'nginx' }],
        volumes: [{ name: 'nginx-persistent-storage', gcePersistentDisk: { pdName: 'nginx-persistent-storage' } }],
      }),
    );
  });

  it('$patch: delete on a map removes it; $patch: replace replaces it', () => {
    const target = deployment(
      { containers: [{ name: 'a', image: 'a', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }] },
      { annotations: { x: '1', y: '2' } },
    );
    const patch = deployment(
      { containers: [{ name: 'a', resources: { $patch: 'replace', limits: { memory: '1Gi' } } }] },
      { annotations: { $patch: 'delete' } },
    );
    expect(applyStrategicMergePatch(target, patch)).toEqual(
      deployment({ containers: [{ name: 'a', image: 'a', resources: { limits: { memory: '1Gi' } } }] }),
    );
  });

  it('keeps an explicit null of the target that the patch does not mention', () => {
    const out = applyStrategicMergePatch(
      { apiVersion: 'x/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { a: null, b: 1 } },
      { apiVersion: 'x/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { b: 2 } },
    );
    expect(out).toEqual({ apiVersion: 'x/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { a: null, b: 2 } });
  });

  it('rejects a patch whose node kind differs from the target', () => {
    expect(() =>
      applyStrategicMergePatch(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: 'oops' },
      ),
    ).toThrow(/wrong node kind: expected MappingNode but got ScalarNode/);
  });

  it('rejects an unknown $patch value', () => {
    expect(() =>
      applyStrategicMergePatch(deployment({ containers: [] }), deployment({ $patch: 'foo' } as JsonObject)),
    ).toThrow(new KustomizeError("unknown patch strategy 'foo'"));
  });
});

describe('applyStrategicMergePatch: resource-level behaviour', () => {
  it('corpus: multiplepatch__TestSmpDeleteOnResource ($patch: delete at top level deletes the resource)', () => {
    const target: JsonObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { labels: { role: 'alert-rules' }, name: 'rule1' },
      spec: { groups: [{ name: 'rabbitmq.rules' }] },
    };
    const patch: JsonObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'rule1' },
      $patch: 'delete',
    };
    expect(applyStrategicMergePatch(target, patch)).toBeNull();
  });

  it('top-level $patch: replace leaves the target as it was (kyaml merges into the patch node)', () => {
    const target = deployment({ containers: [{ name: 'a', image: 'a' }] });
    const patch = { ...deployment({ containers: [{ name: 'b' }] }), $patch: 'replace' };
    expect(applyStrategicMergePatch(target, patch)).toEqual(target);
  });

  it('keeps the target name, namespace and kind; the patch ones only select the target', () => {
    const target = deployment({ containers: [{ name: 'a' }] }, { namespace: 'prod' });
    const patch: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'renamed', namespace: 'other', labels: { x: 'y' } },
    };
    expect(applyStrategicMergePatch(target, patch)).toEqual(
      deployment({ containers: [{ name: 'a' }] }, { namespace: 'prod', labels: { x: 'y' } }),
    );
    // a target without namespace does not get the patch's
    const out = applyStrategicMergePatch(deployment({ containers: [] }), patch);
    expect((out?.metadata as JsonObject).namespace).toBeUndefined();
  });

  it('corpus: gvknpatch__TestChangeNameAndKind (allowNameChange / allowKindChange)', () => {
    const target = deployment({ containers: [{ name: 'nginx', image: 'nginx' }] }, { name: 'old-name' });
    const patch: JsonObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'new-name' } };
    const out = applyStrategicMergePatch(target, patch, { allowNameChange: true, allowKindChange: true });
    expect(out?.kind).toBe('StatefulSet');
    expect((out?.metadata as JsonObject).name).toBe('new-name');
  });

  it('corpus: multiplepatch__TestSmpWithDifferentKeysOnDifferentPorts (selector patch without apiVersion)', () => {
    const ports: JsonValue = [
      { containerPort: 8500, name: 'http' },
      { containerPort: 8501, name: 'https' },
      { containerPort: 8301, protocol: 'TCP', name: 'serflan-tcp' },
      { containerPort: 8301, protocol: 'UDP', name: 'serflan-udp' },
      { containerPort: 8302, name: 'serfwan' },
      { containerPort: 8300, name: 'server' },
      { containerPort: 8600, name: 'dns-tcp', protocol: 'TCP' },
      { containerPort: 8600, name: 'dns-udp', protocol: 'UDP' },
    ];
    const target: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'myapp' },
      spec: { template: { spec: { containers: [{ name: 'consul', image: 'dashicorp/consul:1.9.1', ports }] } } },
    };
    const patch: JsonObject = { kind: 'StatefulSet', metadata: { name: 'myapp', labels: { test: 'label' } } };
    const out = applyStrategicMergePatch(target, patch, { viaSelector: true });
    expect(out).toEqual({ ...target, metadata: { name: 'myapp', labels: { test: 'label' } } });
  });
});

describe('applyStrategicMergePatch: lists of known kinds', () => {
  it('merges containers by name; patched elements come first, then the rest of the target', () => {
    const target = deployment({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] });
    const patch = deployment({ containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] });
    expect(containersOf(applyStrategicMergePatch(target, patch))).toEqual([
      { name: 'b', image: 'b:2' },
      { name: 'c', image: 'c:1' },
      { name: 'a', image: 'a:1' },
    ]);
  });

  it('corpus: patchdelete__TestPatchDeleteOfNotExistingAttributesShouldNotAddExtraElements', () => {
    const target = deployment({
      containers: [
        {
          env: [
            { name: 'EXISTING', value: 'EXISTING_VALUE' },
            { name: 'FOR_REMOVAL', value: 'FOR_REMOVAL_VALUE' },
          ],
          name: 'whatever',
          image: 'helloworld',
        },
      ],
    });
    const patch = deployment({
      containers: [
        {
          name: 'whatever',
          env: [
            { name: 'FOR_REMOVAL', $patch: 'delete' },
            { name: 'NOT_EXISTING_FOR_REMOVAL', $patch: 'delete' },
          ],
        },
      ],
    });
    expect(applyStrategicMergePatch(target, patch)).toEqual(
      deployment({ containers: [{ env: [{ name: 'EXISTING', value: 'EXISTING_VALUE' }], name: 'whatever', image: 'helloworld' }] }),
    );
  });

  it('corpus: multiplepatch__TestMultiplePatchesWithOnePatchDeleteDirective (element $patch: delete, then a merge)', () => {
    const target = deployment({
      containers: [
        { name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'nginx-persistent-storage', mountPath: '/tmp/ps' }] },
        { name: 'sidecar', image: 'sidecar:latest' },
      ],
    });
    const afterDelete = applyStrategicMergePatch(target, deployment({ containers: [{ $patch: 'delete', name: 'sidecar' }] }));
    const out = applyStrategicMergePatch(
      afterDelete as JsonObject,
      deployment({ containers: [{ name: 'nginx', env: [{ name: 'SOME_NAME', value: 'somevalue' }] }] }),
    );
    expect(containersOf(out)).toEqual([
      {
        name: 'nginx',
        image: 'nginx',
        volumeMounts: [{ name: 'nginx-persistent-storage', mountPath: '/tmp/ps' }],
        env: [{ name: 'SOME_NAME', value: 'somevalue' }],
      },
    ]);
  });

  it('list-level $patch: replace and $patch: delete', () => {
    const target = deployment({ containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] });
    expect(
      containersOf(applyStrategicMergePatch(target, deployment({ containers: [{ name: 'x', image: 'x' }, { $patch: 'replace' }] }))),
    ).toEqual([{ name: 'x', image: 'x' }]);
    const deleted = applyStrategicMergePatch(target, deployment({ containers: [{ $patch: 'delete' }] }));
    expect(((deleted?.spec as JsonObject).template as JsonObject).spec).toEqual({});
  });

  it('kyaml: list-level $patch: merge is the default', () => {
    const target = deployment({ containers: [{ name: 'foo4' }, { name: 'foo5' }] });
    const patch = deployment({ containers: [{ name: 'foo1' }, { name: 'foo2' }, { $patch: 'merge' }] });
    expect(containersOf(applyStrategicMergePatch(target, patch))).toEqual([
      { name: 'foo1' },
      { name: 'foo2' },
      { name: 'foo4' },
      { name: 'foo5' },
    ]);
  });

  it('element-level $patch: replace is a no-op (kyaml puts the target element back)', () => {
    const target = deployment({ containers: [{ name: 'a', image: 'a', args: ['x'] }] });
    const patch = deployment({ containers: [{ name: 'a', image: 'z', $patch: 'replace' }] });
    expect(containersOf(applyStrategicMergePatch(target, patch))).toEqual([{ name: 'a', image: 'a', args: ['x'] }]);
  });

  it('corpus: multiplepatch__TestPatchPortHasNoProtocol (multi-key ports: a missing protocol matches)', () => {
    const target: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ port: 30900, targetPort: 30900, protocol: 'TCP' }], type: 'NodePort' },
    };
    const patch: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { service: 'web' } },
      spec: { ports: [{ port: 30900, targetPort: 30900 }], selector: { service: 'web' } },
    };
    expect(applyStrategicMergePatch(target, patch)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { service: 'web' } },
      spec: { ports: [{ port: 30900, targetPort: 30900, protocol: 'TCP' }], type: 'NodePort', selector: { service: 'web' } },
    });
  });

  it('corpus: multiplepatch__TestPatchAddNewServicePort (new port goes first)', () => {
    const target: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    };
    const patch: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
    };
    expect((applyStrategicMergePatch(target, patch)?.spec as JsonObject).ports).toEqual([
      { name: 'https', port: 443, targetPort: 8443 },
      { name: 'http', port: 80, targetPort: 8080 },
    ]);
  });

  it('primitive lists with a merge strategy (finalizers) are unioned, patch values first', () => {
    const out = applyStrategicMergePatch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['a', 'b'] } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['c', 'a'] } },
    );
    expect((out?.metadata as JsonObject).finalizers).toEqual(['c', 'a', 'b']);
  });

  it('lists without a merge strategy (args, command) are replaced', () => {
    const target = deployment({ containers: [{ name: 'a', args: ['1', '2'] }] });
    const patch = deployment({ containers: [{ name: 'a', args: ['3'] }] });
    expect(containersOf(applyStrategicMergePatch(target, patch))).toEqual([{ name: 'a', args: ['3'] }]);
  });

  it('a target element lacking the merge key wipes the elements before it (kyaml appendListNode)', () => {
    const target = deployment({ containers: [{ name: 'a', image: 'a' }, { image: 'noname' }, { name: 'b' }] });
    const patch = deployment({ containers: [{ name: 'b', image: 'b2' }] });
    expect(containersOf(applyStrategicMergePatch(target, patch))).toEqual([{ image: 'noname' }]);
  });
});

describe('applyStrategicMergePatch: kinds without schema', () => {
  it('lists of CRDs and Stageline manifests are replaced, not merged by name', () => {
    const target: JsonObject = {
      apiVersion: 'stageline.dev/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] },
    };
    const patch: JsonObject = {
      apiVersion: 'stageline.dev/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'b', image: 'b2' }] },
    };
    expect((applyStrategicMergePatch(target, patch)?.spec as JsonObject).containers).toEqual([{ name: 'b', image: 'b2' }]);
  });

  it('a schema-less list keeps $patch elements verbatim (kyaml never reads them)', () => {
    const out = applyStrategicMergePatch(
      { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { items: [{ name: 'a' }] } },
      { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { items: [{ name: 'a', $patch: 'delete' }] } },
    );
    expect((out?.spec as JsonObject).items).toEqual([{ name: 'a', $patch: 'delete' }]);
  });

  it('an embedded object with apiVersion+kind gets that kind schema', () => {
    const embedded = (containers: JsonValue): JsonObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { template: { spec: { containers } } },
    });
    const out = applyStrategicMergePatch(
      { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { template: embedded([{ name: 'a', image: 'a' }]) } },
      { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { template: { spec: { template: { spec: { containers: [{ name: 'b' }] } } } } } },
    );
    expect((out?.spec as JsonObject).template).toEqual(embedded([{ name: 'b' }, { name: 'a', image: 'a' }]));
  });

  it('a custom schema lookup can add merge keys (kustomization `openapi:` / CRD schemas)', () => {
    const lookup = (apiVersion: string, kind: string) =>
      apiVersion === 'x.io/v1' && kind === 'Foo' ? { p: { spec: { p: { items: { ps: 'merge', mk: ['name'] } } } } } : undefined;
    const out = applyStrategicMergePatch(
      { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { items: [{ name: 'a', v: 1 }] } },
      { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'f' }, spec: { items: [{ name: 'b', v: 2 }] } },
      { schemaLookup: lookup },
    );
    expect((out?.spec as JsonObject).items).toEqual([{ name: 'b', v: 2 }, { name: 'a', v: 1 }]);
  });
});

describe('apimachinery-only directives are plain fields to kyaml', () => {
  it('$setElementOrder, $deleteFromPrimitiveList and $retainKeys are copied into the result', () => {
    const target = deployment({ containers: [{ name: 'a', image: 'a', args: ['x'] }] });
    const patch = deployment({
      '$setElementOrder/containers': [{ name: 'a' }],
      $retainKeys: ['containers'],
      containers: [{ name: 'a', '$deleteFromPrimitiveList/args': ['x'] }],
    });
    expect(applyStrategicMergePatch(target, patch)).toEqual(
      deployment({
        containers: [{ name: 'a', image: 'a', args: ['x'], '$deleteFromPrimitiveList/args': ['x'] }],
        $retainKeys: ['containers'],
        '$setElementOrder/containers': [{ name: 'a' }],
      }),
    );
  });
});

describe('mergeWalk (kyaml merge2 with append direction)', () => {
  it('kyaml: strategic merge patch delete 1', () => {
    const src = deployment({ containers: [{ name: 'foo1', $patch: 'delete' }, { name: 'foo2' }, { name: 'foo3' }] });
    const dest = deployment({ containers: [{ name: 'foo1' }, { name: 'foo2' }, { name: 'foo3' }] });
    expect(mergeWalk(dest, src, { listIncreaseDirection: 'append' })).toEqual(
      deployment({ containers: [{ name: 'foo2' }, { name: 'foo3' }] }),
    );
  });

  it('kyaml: infer merge keys only when asked', () => {
    const mk = (items: JsonValue): JsonObject => ({ kind: 'Foo', items });
    expect(mergeWalk(mk([{ name: 'a', v: 1 }]), mk([{ name: 'a', w: 2 }]), { inferAssociativeLists: true })).toEqual(
      mk([{ name: 'a', v: 1, w: 2 }]),
    );
    expect(mergeWalk(mk([{ name: 'a', v: 1 }]), mk([{ name: 'a', w: 2 }]))).toEqual(mk([{ name: 'a', w: 2 }]));
  });
});
