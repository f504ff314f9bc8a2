import { describe, expect, it } from 'vitest';
import { BUILTIN_NAME_REFERENCE } from '../../../../lib/kustomize/fieldspecs/builtin.js';
import { fixNameReferences, sameEndingSubSlice } from '../../../../lib/kustomize/plugins/name-reference.js';
import { list, objects, res } from './helpers.js';

describe('fixNameReferences', () => {
  // configmaps__TestPrefixSuffix-style: a prefixed+suffixed ConfigMap referenced by a Deployment.
  it('rewrites volume, envFrom and env references to a renamed ConfigMap', () => {
    const resources = list(
      res(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p-cm-s' }, data: { a: 'b' } },
        { renamedFrom: [{ name: 'cm' }], prefixes: ['p-'], suffixes: ['-s'] },
      ),
      res(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'p-deploy-s' },
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    envFrom: [{ configMapRef: { name: 'cm' } }],
                    env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } }],
                  },
                ],
                volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'other', configMap: { name: 'unrelated' } }],
              },
            },
          },
        },
        { renamedFrom: [{ name: 'deploy' }], prefixes: ['p-'], suffixes: ['-s'] },
      ),
    );
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    const deployment = objects(resources)[1]!;
    expect(deployment.spec).toEqual({
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              envFrom: [{ configMapRef: { name: 'p-cm-s' } }],
              env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'p-cm-s', key: 'a' } } }],
            },
          ],
          volumes: [{ name: 'v', configMap: { name: 'p-cm-s' } }, { name: 'other', configMap: { name: 'unrelated' } }],
        },
      },
    });
    const configMap = resources.resources()[0]!;
    expect(configMap.referencedBy).toContainEqual({ group: 'apps', version: 'v1', kind: 'Deployment', name: 'p-deploy-s', namespace: '' });
  });

  // rolebindingacrossnamespace__TestRoleBindingAcrossNamespace
  it('fixes RoleBinding subjects in other namespaces and the roleRef, but not non-ServiceAccount subjects', () => {
    const sa = (name: string, namespace: string) =>
      res({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `${name}-ns2`, namespace } }, { renamedFrom: [{ name, namespace }], suffixes: ['-ns2'] });
    const resources = list(
      sa('my-sa1', 'ns1'),
      sa('my-sa2', 'ns2'),
      sa('my-sa3', 'ns3'),
      res({ apiVersion: 'v1', kind: 'NotServiceAccount', metadata: { name: 'my-nsa-ns2', namespace: 'ns1' } }, {
        renamedFrom: [{ name: 'my-nsa', namespace: 'ns1' }],
        suffixes: ['-ns2'],
      }),
      res({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'my-role-ns2', namespace: 'ns2' } }, {
        renamedFrom: [{ name: 'my-role', namespace: 'ns2' }],
        suffixes: ['-ns2'],
      }),
      res(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'my-role-binding-ns2', namespace: 'ns2' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'my-role' },
          subjects: [
            { kind: 'ServiceAccount', name: 'my-sa1', namespace: 'ns1' },
            { kind: 'ServiceAccount', name: 'my-sa2', namespace: 'ns2' },
            { kind: 'ServiceAccount', name: 'my-sa3', namespace: 'ns3' },
            { kind: 'NotServiceAccount', name: 'my-nsa', namespace: 'ns1' },
          ],
        },
        { renamedFrom: [{ name: 'my-role-binding', namespace: 'ns2' }], suffixes: ['-ns2'] },
      ),
    );
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    const binding = objects(resources)[5]!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'my-role-ns2' });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'my-sa1-ns2', namespace: 'ns1' },
      { kind: 'ServiceAccount', name: 'my-sa2-ns2', namespace: 'ns2' },
      { kind: 'ServiceAccount', name: 'my-sa3-ns2', namespace: 'ns3' },
      { kind: 'NotServiceAccount', name: 'my-nsa', namespace: 'ns1' },
    ]);
  });

  // namedspacedserviceaccounts__TestNamedspacedServiceAccountsWithOverlap
  it('refuses an ambiguous subject without namespace', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'a' } }, { renamedFrom: [{ name: 'sa' }] }),
      res({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'crb-a' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cr-a' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
      }),
      res({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'b' } }, { renamedFrom: [{ name: 'sa' }] }),
    );
    expect(() => fixNameReferences(resources, BUILTIN_NAME_REFERENCE)).toThrow(
      /^updating name reference in 'subjects' field of 'ClusterRoleBinding\.v1\.rbac\.authorization\.k8s\.io\/crb-a\.\[noNs\]': considering field 'subjects' of object ClusterRoleBinding\.v1\.rbac\.authorization\.k8s\.io\/crb-a\.\[noNs\]: found multiple possible referrals: ServiceAccount\.v1\.\[noGrp\]\/sa\.a, ServiceAccount\.v1\.\[noGrp\]\/sa\.b\n/,
    );
  });

  // namedspacedserviceaccounts__TestNamedspacedServiceAccounts: a subject namespace picks the target
  // by its ORIGINAL namespace and the subject gets the target's current name and namespace.
  it('uses the subject namespace to choose and rewrites name and namespace', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x-sa', namespace: 'moved' } }, { renamedFrom: [{ name: 'sa', namespace: 'a' }] }),
      res({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'y-sa', namespace: 'b' } }, { renamedFrom: [{ name: 'sa', namespace: 'b' }] }),
      res({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'crb' },
        subjects: [
          { kind: 'ServiceAccount', name: 'sa', namespace: 'a' },
          { kind: 'ServiceAccount', name: 'sa', namespace: 'b' },
        ],
      }),
    );
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    expect(objects(resources)[2]!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'x-sa', namespace: 'moved' },
      { kind: 'ServiceAccount', name: 'y-sa', namespace: 'b' },
    ]);
  });

  // resourceconflict__TestMultibasesNoConflict: same original name in two bases, told apart by prefixes.
  it('disambiguates same-named targets by their prefix chain', () => {
    const cm = (prefix: string) =>
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${prefix}cm` } }, { renamedFrom: [{ name: 'cm' }], prefixes: [prefix] });
    const pod = (prefix: string) =>
      res(
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}pod` }, spec: { volumes: [{ configMap: { name: 'cm' } }] } },
        { renamedFrom: [{ name: 'pod' }], prefixes: [prefix] },
      );
    const resources = list(cm('a-'), cm('b-'), pod('a-'), pod('b-'));
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    expect(objects(resources)[2]!.spec).toEqual({ volumes: [{ configMap: { name: 'a-cm' } }] });
    expect(objects(resources)[3]!.spec).toEqual({ volumes: [{ configMap: { name: 'b-cm' } }] });
  });

  // resourceconflict__TestMultibasesWithConflict: both targets end with the referrer's prefix chain.
  it('reports a conflict when prefixes cannot tell the targets apart', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x-a-cm' } }, { renamedFrom: [{ name: 'cm' }, { name: 'a-cm' }], prefixes: ['a-', 'x-'] }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x-b-cm' } }, { renamedFrom: [{ name: 'cm' }, { name: 'b-cm' }], prefixes: ['b-', 'x-'] }),
      res(
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x-pod' }, spec: { volumes: [{ configMap: { name: 'cm' } }] } },
        { renamedFrom: [{ name: 'pod' }], prefixes: ['x-'] },
      ),
    );
    expect(() => fixNameReferences(resources, BUILTIN_NAME_REFERENCE)).toThrow(
      'found multiple possible referrals: ConfigMap.v1.[noGrp]/x-a-cm.[noNs], ConfigMap.v1.[noGrp]/x-b-cm.[noNs]',
    );
  });

  it('leaves the reference alone when no candidate shares the referrer prefixes', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a-cm' } }, { renamedFrom: [{ name: 'cm' }], prefixes: ['a-'] }),
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b-cm' } }, { renamedFrom: [{ name: 'cm' }], prefixes: ['b-'] }),
      res({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod' }, spec: { volumes: [{ configMap: { name: 'cm' } }] } }),
    );
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    expect(objects(resources)[2]!.spec).toEqual({ volumes: [{ configMap: { name: 'cm' } }] });
  });

  it('ignores targets that were never renamed, and other namespaces', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } }),
      res({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'h-secret', namespace: 'other' } }, { renamedFrom: [{ name: 'secret', namespace: 'other' }] }),
      res({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pod' },
        spec: { volumes: [{ configMap: { name: 'cm' } }, { secret: { secretName: 'secret' } }] },
      }),
    );
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    expect(objects(resources)[2]!.spec).toEqual({ volumes: [{ configMap: { name: 'cm' } }, { secret: { secretName: 'secret' } }] });
    expect(resources.resources()[0]!.referencedBy).toEqual([]);
  });

  it('renames entries of name sequences (Role rules resourceNames) and checks the roleRef kind', () => {
    const resources = list(
      res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p-cm' } }, { renamedFrom: [{ name: 'cm' }] }),
      res({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'p-role' } }, { renamedFrom: [{ name: 'role' }] }),
      res({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'p-role' } }, { renamedFrom: [{ name: 'role' }] }),
      res({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'reader' },
        rules: [{ resources: ['configmaps'], resourceNames: ['cm', 'other'] }],
      }),
      res({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'rb' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'role' },
      }),
    );
    fixNameReferences(resources, BUILTIN_NAME_REFERENCE);
    expect(objects(resources)[3]!.rules).toEqual([{ resources: ['configmaps'], resourceNames: ['p-cm', 'other'] }]);
    expect(objects(resources)[4]!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'p-role' });
    expect(resources.resources()[2]!.referencedBy).toEqual([]);
  });

  it('SameEndingSubSlice', () => {
    expect(sameEndingSubSlice(['a', 'b', 'c'], ['b', 'c'])).toBe(true);
    expect(sameEndingSubSlice(['a', 'b', 'c'], ['a', 'b'])).toBe(false);
    expect(sameEndingSubSlice([], ['a'])).toBe(false);
    expect(sameEndingSubSlice([], [])).toBe(true);
  });
});
