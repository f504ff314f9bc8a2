import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matchGitIgnoreFiles } from '../../../../lib/adapters/local/git-ignore.js';

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'stageline-ignore-'));
  await mkdir(join(repo, '.git'));
  await mkdir(join(repo, 'svc'), { recursive: true });
});
afterEach(() => rm(repo, { recursive: true, force: true }));

describe('.gitignore matching (fallback without git)', () => {
  it('finds patterns in .gitignore files up to the repository root', async () => {
    await writeFile(join(repo, '.gitignore'), 'node_modules/\n.env\n');
    expect(await matchGitIgnoreFiles(join(repo, 'svc', '.env'))).toBe(true);
    expect(await matchGitIgnoreFiles(join(repo, 'svc', '.env_export'))).toBe(false);
  });

  it('supports globs, anchoring and negation', async () => {
    await writeFile(join(repo, '.gitignore'), '.env*\n');
    await writeFile(join(repo, 'svc', '.gitignore'), '!.env_export\n/local.txt\n');
    expect(await matchGitIgnoreFiles(join(repo, 'svc', '.env'))).toBe(true);
    expect(await matchGitIgnoreFiles(join(repo, 'svc', '.env_export'))).toBe(false);
    expect(await matchGitIgnoreFiles(join(repo, 'svc', 'local.txt'))).toBe(true);
  });
});
