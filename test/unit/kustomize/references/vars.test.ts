import { describe, expect, it } from 'vitest';
import { BUILTIN_VAR_REFERENCE } from '../../../../lib/kustomize/fieldspecs/builtin.js';
import { attachVarsToResources, expandVars, resolveVars } from '../../../../lib/kustomize/plugins/vars.js';
import { list, objects, res } from './helpers.js';

const service = () =>
  res(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'p-svc', namespace: 'ns' },
      spec: { ports: [{ port: 8080, name: 'http' }], clusterIP: 'None', selector: { app: 'x' } },
    },
    { renamedFrom: [{ name: 'svc', namespace: 'ns' }], vars: ['SVC', 'PORT', 'SELECTOR'] },
  );

const vars = [
  { name: 'SVC', objref: { apiVersion: 'v1', kind: 'Service', name: 'svc' } },
  { name: 'PORT', objref: { apiVersion: 'v1', kind: 'Service', name: 'svc' }, fieldref: { fieldPath: 'spec.ports[0].port' } },
  { name: 'SELECTOR', objref: { apiVersion: 'v1', kind: 'Service', name: 'svc' }, fieldref: { fieldPath: 'spec.selector' } },
];

describe('resolveVars', () => {
  // variableref__TestVarRefBig-style: the var takes the CURRENT (prefixed) name.
  it('expands $(VAR) in var-reference fields with kustomize rules', () => {
    const resources = list(
      service(),
      res({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', annotations: { mapValue: '$(SVC)' } },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'c',
                  command: ['run', '--host=$(SVC):$(PORT)', '$$(SVC)', '$(UNKNOWN)', '$(SELECTOR)', 'cost $5', '$(open'],
                  args: ['$(PORT)'],
                  env: [
                    { name: 'PORT', value: '$(PORT)' },
                    { name: 'HOST', value: 'http://$(SVC)' },
                    { name: 'N', value: 3 },
                  ],
                },
              ],
            },
          },
        },
      }),
    );
    resolveVars(resources, vars, BUILTIN_VAR_REFERENCE);
    const deployment = objects(resources)[1]!;
    expect(deployment).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', annotations: { mapValue: 'p-svc' } },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                command: ['run', '--host=p-svc:8080', '$(SVC)', '$(UNKNOWN)', '$(SELECTOR)', 'cost $5', '$(open'],
                // A field that is exactly one var takes the var's type.
                args: [8080],
                env: [
                  { name: 'PORT', value: 8080 },
                  { name: 'HOST', value: 'http://p-svc' },
                  { name: 'N', value: 3 },
                ],
              },
            ],
          },
        },
      },
    });
  });

  it('reports a missing field and an unmapped var', () => {
    const missing = [{ name: 'SVC', objref: { apiVersion: 'v1', kind: 'Service', name: 'svc' }, fieldref: { fieldPath: 'spec.nope' } }];
    expect(() => resolveVars(list(service()), missing, BUILTIN_VAR_REFERENCE)).toThrow(
      "field specified in var '{SVC Service.v1.[noGrp] {spec.nope}}' not found in corresponding resource",
    );
    const unmapped = [{ name: 'OTHER', objref: { kind: 'Pod', name: 'x' } }];
    expect(() => resolveVars(list(service()), unmapped, BUILTIN_VAR_REFERENCE)).toThrow(
      "var '{OTHER Pod.[noVer].[noGrp] {metadata.name}}' cannot be mapped to a field in the set of known resources",
    );
  });

  it('refuses a non-string sequence item in a var-reference field', () => {
    const resources = list(
      service(),
      res({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', command: ['a', 1] }] } }),
    );
    expect(() => resolveVars(resources, vars, BUILTIN_VAR_REFERENCE)).toThrow(
      "considering field 'spec/containers/command' of object Pod.v1.[noGrp]/p.[noNs]: visit traversal on path: [command]: invalid value type expect a string",
    );
  });

  it('expandVars follows DoReplacements', () => {
    const mapping = (name: string) => (name === 'A' ? 'x' : name === 'B' ? true : `$(${name})`);
    expect(expandVars('$(A)$(B)', mapping)).toBe('xtrue');
    expect(expandVars('$(B)', mapping)).toBe(true);
    expect(expandVars('$$(A) $$ $', mapping)).toBe('$(A) $ $');
    expect(expandVars('$(A', mapping)).toBe('$(A');
  });

  // namespaces__TestVariablesAmbiguous
  it('attachVarsToResources refuses ambiguous objrefs unless a namespace disambiguates', () => {
    const make = () =>
      list(
        res({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'a' } }),
        res({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'b' } }),
      );
    expect(() => attachVarsToResources(make(), [{ name: 'S', objref: { apiVersion: 'v1', kind: 'Secret', name: 's' } }])).toThrow(
      'found 2 resId matches for var {S Secret.v1.[noGrp] {}} (unable to disambiguate)',
    );
    const resources = make();
    attachVarsToResources(resources, [{ name: 'S', objref: { apiVersion: 'v1', kind: 'Secret', name: 's', namespace: 'b' } }]);
    expect(resources.resources().map((resource) => resource.refVarNames)).toEqual([[], ['S']]);
  });
});
