import { describe, expect, it } from 'vitest';
import { parse } from 'dotenv';
import { buildDotEnv, parseSets, quoteShell, renderDotEnvFiles } from '../../../lib/pipeline/dot-env.js';
import type { ReferenceSources } from '../../../lib/pipeline/resolve-references.js';
import { errorOf, rejectionOf } from './harness.js';

const SOURCES: ReferenceSources = {
  secrets: { getSecret: async (scope, group, key) => (scope.env === undefined && `${group}/${key}` === 'database/password' ? 'local-dev-password' : undefined) },
  variables: { getVariable: async (scope, group, key) => (scope.env === 'local' && `${group}/${key}` === 'observability/log-level' ? 'debug' : undefined) },
  outputs: { get: async () => undefined, put: async () => ({ etag: '' }), list: async () => [], delete: async () => undefined },
};

const LOCAL = {
  apiVersion: 'kubernetes.openmcf.org/v1',
  kind: 'KubernetesDeployment',
  metadata: { name: 'hello', env: 'local' },
  spec: {
    container: {
      app: {
        image: '',
        env: {
          variables: { PORT: '3000', LOG_LEVEL: '$variables-group/observability/log-level', REPLICAS: 2 },
          secrets: { DATABASE_PASSWORD: '$secrets-group/database/password' },
        },
      },
    },
    unrelated: { url: '$variables-group/not/defined' },
  },
};

describe('dot-env', () => {
  it('takes env variables and secrets, resolves references, applies --set, sorts keys', async () => {
    const files = await buildDotEnv({ manifest: LOCAL, source: 'overlay "local"', org: 'acme', env: 'local', sources: SOURCES, sets: ['PORT=4000', 'EXTRA=a=b', 'EMPTY='] });
    expect(files.entries).toEqual({ DATABASE_PASSWORD: 'local-dev-password', EMPTY: '', EXTRA: 'a=b', LOG_LEVEL: 'debug', PORT: '4000', REPLICAS: '2' });
    expect(Object.keys(files.entries)).toEqual(['DATABASE_PASSWORD', 'EMPTY', 'EXTRA', 'LOG_LEVEL', 'PORT', 'REPLICAS']);
    expect(files.dotEnv.split('\n').slice(1)).toEqual([
      "DATABASE_PASSWORD='local-dev-password'",
      "EMPTY=''",
      "EXTRA='a=b'",
      "LOG_LEVEL='debug'",
      "PORT='4000'",
      "REPLICAS='2'",
      '',
    ]);
    expect(files.envExport).toContain("export DATABASE_PASSWORD='local-dev-password'\n");
    expect(parse(files.dotEnv)).toEqual(files.entries);
  });

  it('fails on an unresolved reference without leaking other values', async () => {
    const manifest = structuredClone(LOCAL);
    manifest.spec.container.app.env.secrets.DATABASE_PASSWORD = '$secrets-group/database/missing';
    const error = await rejectionOf(() => buildDotEnv({ manifest, source: 'overlay "local"', org: 'acme', env: 'local', sources: SOURCES }));
    expect(error.message).toBe(
      'overlay "local": spec.container.app.env.secrets.DATABASE_PASSWORD: secret database/missing ($secrets-group/database/missing) has no value in environment local nor at organization level',
    );
  });

  it.each(['NOEQUALS', '=value', '1ABC=x', 'A-B=x'])('refuses --set %j', (set) => {
    expect(errorOf(() => parseSets([set])).message).toBe(`--set ${JSON.stringify(set)}: expected KEY=VALUE with KEY made of letters, digits and '_' (not starting with a digit)`);
  });

  it('refuses a name defined both as variable and secret', async () => {
    const manifest = structuredClone(LOCAL);
    (manifest.spec.container.app.env.variables as Record<string, string | number>).DATABASE_PASSWORD = 'x';
    const error = await rejectionOf(() => buildDotEnv({ manifest, source: 'overlay "local"', org: 'acme', env: 'local', sources: SOURCES }));
    expect(error.message).toBe('overlay "local": spec.container.app.env.secrets.DATABASE_PASSWORD: DATABASE_PASSWORD is defined both as a variable and as a secret');
  });

  it.each([
    ['single', "it's"],
    ['double', 'say "hi"'],
    ['both quotes', `it's "both"`],
    ['dollar', '$HOME and ${PATH} and $(whoami)'],
    ['backslashes', 'C:\\temp\\new \\\\ \\n'],
    ['hash', 'a # not a comment'],
    ['spaces', '  padded  '],
    ['newline', 'line1\nline2\n'],
    ['newline and single quote', "it's\nmulti"],
    ['newline, quotes and backslash-n', 'a "b"\nc \\n'],
    ['carriage return', 'a\r\nb'],
    ['non-ASCII', 'héllo wörld ✓ 日本 😀'],
    ['empty', ''],
    ['backtick', 'run `ls`'],
    ['trailing backslash', 'C:\\dir\\'],
    ['quotes and trailing backslash', `it's "C:\\dir\\"\\`],
  ])('round-trips a value with %s through dotenv.parse', (_name, value) => {
    const files = renderDotEnvFiles({ VALUE: value, OTHER: 'after' });
    expect(parse(files.dotEnv)).toEqual({ OTHER: 'after', VALUE: value });
  });

  it('refuses a value dotenv cannot represent rather than writing a wrong file', () => {
    const error = errorOf(() => renderDotEnvFiles({ BAD: `'"\`` }));
    expect(error.message).toMatch(/^BAD: the value cannot be written in dotenv syntax without changing it/);
    expect(error.message).not.toContain(`'"\``);
    expect(() => renderDotEnvFiles({ TRAILING: "it's\nends with \\" })).toThrow(/TRAILING: the value cannot be written/);
  });

  it('quotes for POSIX shells', () => {
    expect(quoteShell("it's")).toBe(`'it'\\''s'`);
    expect(quoteShell('$x `y` "z"')).toBe(`'$x \`y\` "z"'`);
  });
});
