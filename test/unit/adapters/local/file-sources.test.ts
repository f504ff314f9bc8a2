import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSecretSource } from '../../../../lib/adapters/local/file-secret-source.js';
import { FileVariableSource } from '../../../../lib/adapters/local/file-variable-source.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stageline-sources-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('local file sources', () => {
  it('reads organization-level and environment-scoped secrets, each scope exactly', async () => {
    const source = new FileSecretSource(await file('secrets.yaml', 'database:\n  password: local-pw\n  port: 5432\nenvironments:\n  app-production:\n    database:\n      password: prod-pw\n'));
    expect(await source.getSecret({ org: 'acme' }, 'database', 'password')).toBe('local-pw');
    expect(await source.getSecret({ org: 'acme', env: 'app-production' }, 'database', 'password')).toBe('prod-pw');
    expect(await source.getSecret({ org: 'acme', env: 'app-dev' }, 'database', 'password')).toBeUndefined();
    expect(await source.getSecret({ org: 'acme' }, 'database', 'port')).toBe('5432');
    expect(await source.getSecret({ org: 'acme' }, 'database', 'toString')).toBeUndefined();
  });

  it('treats a missing file as an empty source', async () => {
    expect(await new FileSecretSource(join(dir, 'none.yaml')).getSecret({ org: 'acme' }, 'a', 'b')).toBeUndefined();
  });

  it('reports a malformed file with its path and never the value', async () => {
    const path = await file('bad-secrets.yaml', 'database:\n  password: [hunter2]\n');
    const error = await new FileSecretSource(path).getSecret({ org: 'acme' }, 'database', 'password').catch((caught: Error) => caught);
    expect((error as Error).message).toBe(`${path}: database.password: expected a text value`);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('returns variables as stored: literals and valueFrom references', async () => {
    const source = new FileVariableSource(await file('variables.yaml', 'db:\n  url:\n    valueFrom: { kind: AwsRdsInstance, name: main, fieldPath: endpoint }\nobs:\n  level: debug\n'));
    expect(await source.getVariable({ org: 'acme' }, 'db', 'url')).toEqual({ valueFrom: { kind: 'AwsRdsInstance', name: 'main', fieldPath: 'endpoint' } });
    expect(await source.getVariable({ org: 'acme' }, 'obs', 'level')).toBe('debug');
  });
});
