import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dotEnvCommand } from '../../../lib/cli/commands/dot-env.js';
import { captureIo } from '../pipeline/capture-io.js';
import { engineReady, HELLO_SERVICE } from '../pipeline/engine.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stageline-dotenv-'));
  await cp(HELLO_SERVICE, root, { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe.skipIf(!engineReady)('stageline dot-env (examples/hello-service)', () => {
  it('writes .env and .env_export from the local overlay, references resolved, mode 0600, keys sorted', async () => {
    const io = captureIo(root);
    await dotEnvCommand({ project: '.', env: 'local', set: ['GREETING=Hi there', 'NEW=1'] }, io);
    const dotEnv = await readFile(join(root, '.env'), 'utf8');
    expect(parse(dotEnv)).toEqual({ DATABASE_PASSWORD: 'local-dev-password', GREETING: 'Hi there', LOG_LEVEL: 'debug', NEW: '1', PORT: '3000' });
    expect(Object.keys(parse(dotEnv))).toEqual(['DATABASE_PASSWORD', 'GREETING', 'LOG_LEVEL', 'NEW', 'PORT']);
    expect(await readFile(join(root, '.env_export'), 'utf8')).toContain("export DATABASE_PASSWORD='local-dev-password'\n");
    for (const file of ['.env', '.env_export']) expect((await stat(join(root, file))).mode & 0o777).toBe(0o600);
    expect(io.stdout[0]).toBe('wrote .env and .env_export (5 variables, mode 0600) from overlay "local" (_kustomize/overlays/local)');
  });

  it('resolves environment-scoped values for another overlay', async () => {
    await dotEnvCommand({ project: '.', env: 'production', set: [] }, captureIo(root));
    expect(parse(await readFile(join(root, '.env'), 'utf8'))).toMatchObject({ DATABASE_PASSWORD: 'example-production-password', LOG_LEVEL: 'warn' });
  });

  it('warns on stderr when the files are not git-ignored', async () => {
    const io = captureIo(root);
    await dotEnvCommand({ project: '.', env: 'local', set: [] }, io);
    expect(io.stderr).toEqual([
      'warning: .env is not git-ignored and contains secrets; add it to .gitignore',
      'warning: .env_export is not git-ignored and contains secrets; add it to .gitignore',
    ]);
    await writeFile(join(root, '.gitignore'), '.env\n.env_export\n');
    const quiet = captureIo(root);
    await dotEnvCommand({ project: '.', env: 'local', set: [] }, quiet);
    expect(quiet.stderr).toEqual([]);
  });

  it('refuses a malformed --set and an unknown overlay', async () => {
    await expect(dotEnvCommand({ project: '.', env: 'local', set: ['oops'] }, captureIo(root))).rejects.toThrow(`--set "oops": expected KEY=VALUE`);
    await expect(dotEnvCommand({ project: '.', env: 'qa', set: [] }, captureIo(root))).rejects.toThrow(
      '--env qa: no overlay _kustomize/overlays/qa (available: dev, local, production, staging)',
    );
  });

  it('names the overlay and path of an unresolved secret', async () => {
    await writeFile(join(root, '.stageline/secrets.yaml'), 'other: { key: value }\n');
    await expect(dotEnvCommand({ project: '.', env: 'local', set: [] }, captureIo(root))).rejects.toThrow(
      'overlay "local" (_kustomize/overlays/local): spec.container.app.env.secrets.DATABASE_PASSWORD: secret database/password ($secrets-group/database/password) has no value in environment local nor at organization level',
    );
  });
});
