import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../lib/ports/artifact-store.js';
import type { ReferenceScope } from '../../../lib/ports/secret-source.js';
import { findReferences, summarizeReferences } from '../../../lib/pipeline/references.js';
import { checkReferences, resolveReferences, type ReferenceSources } from '../../../lib/pipeline/resolve-references.js';
import { errorOf, rejectionOf } from './harness.js';

/** In-memory sources: `{ '': {...org-level}, 'app-prod': {...env-level} }` keyed `group/key`. */
function sources(secrets: Record<string, Record<string, string>>, variables: Record<string, Record<string, unknown>> = {}, outputs: Record<string, string> = {}): ReferenceSources {
  const scoped = <T>(table: Record<string, Record<string, T>>) => (scope: ReferenceScope, group: string, key: string) => Promise.resolve(table[scope.env ?? '']?.[`${group}/${key}`]);
  const store: ArtifactStore = {
    get: async (key) => (key in outputs ? { body: outputs[key]!, etag: 'e' } : undefined),
    put: async () => ({ etag: 'e' }),
    list: async () => [],
    delete: async () => undefined,
  };
  return { secrets: { getSecret: scoped(secrets) }, variables: { getVariable: scoped(variables) }, outputs: store };
}

const MANIFEST = {
  apiVersion: 'x.io/v1',
  kind: 'X',
  metadata: { name: 'a', env: 'app-prod', annotations: { level: '$variables-group/obs/level' } },
  spec: { container: { app: { env: { variables: { LEVEL: '$variables-group/obs/level', URL: '$variables-group/db/url' }, secrets: { DB: '$secrets-group/db/password' } } } } },
};

describe('reference syntax', () => {
  it('finds references anywhere, with paths, and summarises names', () => {
    const found = findReferences(MANIFEST, 'src');
    expect(found.map((item) => [item.type, item.name])).toEqual([
      ['variable', 'obs/level'],
      ['variable', 'obs/level'],
      ['variable', 'db/url'],
      ['secret', 'db/password'],
    ]);
    expect(found[3]!.path).toEqual(['spec', 'container', 'app', 'env', 'secrets', 'DB']);
    expect(summarizeReferences(found)).toEqual({ secrets: ['db/password'], variables: ['db/url', 'obs/level'] });
  });

  it.each([
    ['$secrets-group/db', 'malformed reference "$secrets-group/db": expected $secrets-group/<group>/<key>'],
    ['$secrets-group/db/pass/word', 'malformed reference "$secrets-group/db/pass/word": expected $secrets-group/<group>/<key>'],
    ['$secrets-group//x', 'malformed reference "$secrets-group//x": expected $secrets-group/<group>/<key>'],
    ['$secrets-group/db/pa ss', 'malformed reference "$secrets-group/db/pa ss": expected $secrets-group/<group>/<key>'],
    ['postgres://$secrets-group/db/url', 'a reference must be the whole value, got text around $secrets-group/…'],
  ])('refuses %j naming the path', (value, problem) => {
    const error = errorOf(() => findReferences({ spec: { secrets: { A: value } } }, 'overlay "dev"'));
    expect(error.message.startsWith(`overlay "dev": spec.secrets.A: ${problem}`)).toBe(true);
    expect(error).toMatchObject({ code: 'REFERENCE_INVALID' });
  });

  it('refuses a secret reference outside a secrets field', () => {
    expect(errorOf(() => findReferences({ metadata: { annotations: { x: '$secrets-group/db/password' } } }, 'src')).message).toBe(
      'src: metadata.annotations.x: secret reference $secrets-group/db/password in a non-secret field; its value would be stored in plain text',
    );
  });
});

describe('reference resolution', () => {
  it('resolves secrets and variables in memory; an environment value wins over an organization one', async () => {
    const resolved = await resolveReferences(
      MANIFEST,
      { org: 'acme', env: 'app-prod', source: 'src' },
      sources({ '': { 'db/password': 'org-pw' }, 'app-prod': { 'db/password': 'prod-pw' } }, { '': { 'obs/level': 'debug', 'db/url': 'postgres://org' }, 'app-prod': { 'obs/level': 'warn' } }),
    );
    expect(resolved.spec).toEqual({ container: { app: { env: { variables: { LEVEL: 'warn', URL: 'postgres://org' }, secrets: { DB: 'prod-pw' } } } } });
    expect(resolved.metadata).toMatchObject({ annotations: { level: 'warn' } });
    expect(MANIFEST.spec.container.app.env.secrets.DB).toBe('$secrets-group/db/password'); // input untouched
  });

  it('reads valueFrom variables from recorded stack-job outputs (env defaults to the deploying one)', async () => {
    const variables = { '': { 'db/url': { valueFrom: { kind: 'AwsRdsInstance', name: 'main-db', fieldPath: 'endpoint.address' } }, 'obs/level': 3 } };
    const outputs = { 'outputs/acme/app-prod/AwsRdsInstance/main-db.json': JSON.stringify({ endpoint: { address: 'db.internal' } }) };
    const resolved = await resolveReferences(MANIFEST, { org: 'acme', env: 'app-prod', source: 'src' }, sources({ '': { 'db/password': 'pw' } }, variables, outputs));
    expect(resolved.spec).toMatchObject({ container: { app: { env: { variables: { LEVEL: '3', URL: 'db.internal' } } } } });
  });

  it('fails on a missing secret, naming the reference and never a value', async () => {
    const error = await rejectionOf(() =>
      resolveReferences(MANIFEST, { org: 'acme', env: 'app-prod', source: 'overlay "production"' }, sources({ '': { 'other/key': 'SECRET-VALUE' } }, { '': { 'obs/level': 'x', 'db/url': 'y' } })),
    );
    expect(error.message).toBe(
      'overlay "production": spec.container.app.env.secrets.DB: secret db/password ($secrets-group/db/password) has no value in environment app-prod nor at organization level',
    );
    expect(error).toMatchObject({ code: 'REFERENCE_UNRESOLVED' });
    expect(error.message).not.toContain('SECRET-VALUE');
  });

  it('fails on outputs that were never recorded', async () => {
    const variables = { '': { 'db/url': { valueFrom: { kind: 'AwsRdsInstance', env: 'app-shared', name: 'main-db', fieldPath: 'endpoint' } }, 'obs/level': 'x' } };
    const error = await rejectionOf(() => resolveReferences(MANIFEST, { org: 'acme', env: 'app-prod', source: 'src' }, sources({ '': { 'db/password': 'pw' } }, variables)));
    expect(error.message).toBe(
      'src: spec.container.app.env.variables.URL: variable db/url (organization acme): reads outputs/acme/app-shared/AwsRdsInstance/main-db.json, which does not exist',
    );
  });

  it('refuses a variable that is neither a literal nor a valueFrom', async () => {
    const error = await rejectionOf(() => resolveReferences(MANIFEST, { org: 'acme', env: 'app-prod', source: 'src' }, sources({ '': { 'db/password': 'pw' } }, { '': { 'obs/level': ['a'], 'db/url': 'y' } })));
    expect(error.message).toBe('src: metadata.annotations.level: variable obs/level (organization acme): expected a literal or { valueFrom: { kind, env, name, fieldPath } }');
  });
});

describe('reference check', () => {
  it('reports every reference, where it was found, and each missing one with its reason, never a value', async () => {
    const variables = { '': { 'db/url': { valueFrom: { kind: 'AwsRdsInstance', name: 'main-db', fieldPath: 'endpoint.address' } } }, 'app-prod': { 'obs/level': 'warn' } };
    const outputs = { 'outputs/acme/app-prod/AwsRdsInstance/main-db.json': JSON.stringify({ endpoint: { address: 'db.internal' } }) };
    const findings = await checkReferences(MANIFEST, { org: 'acme', env: 'app-prod', source: 'overlay "production"' }, sources({ '': { 'other/key': 'SECRET-VALUE' } }, variables, outputs));

    expect(findings).toEqual([
      {
        type: 'secret',
        name: 'db/password',
        paths: ['spec.container.app.env.secrets.DB'],
        problem: 'overlay "production": spec.container.app.env.secrets.DB: secret db/password ($secrets-group/db/password) has no value in environment app-prod nor at organization level',
        hint: 'define secret group "db" key "password" for acme',
      },
      { type: 'variable', name: 'db/url', paths: ['spec.container.app.env.variables.URL'], foundIn: 'outputs/acme/app-prod/AwsRdsInstance/main-db.json field endpoint.address' },
      { type: 'variable', name: 'obs/level', paths: ['metadata.annotations.level', 'spec.container.app.env.variables.LEVEL'], foundIn: 'environment app-prod' },
    ]);
    expect(JSON.stringify(findings)).not.toMatch(/SECRET-VALUE|db\.internal|warn"/);
  });

  it('names the organization scope when the environment has no value of its own', async () => {
    const findings = await checkReferences(MANIFEST, { org: 'acme', env: 'app-prod', source: 'src' }, sources({ '': { 'db/password': 'pw' } }, { '': { 'obs/level': 'x', 'db/url': 'y' } }));
    expect(findings.map((finding) => [finding.name, finding.foundIn])).toEqual([
      ['db/password', 'organization acme'],
      ['db/url', 'organization acme'],
      ['obs/level', 'organization acme'],
    ]);
  });
});
