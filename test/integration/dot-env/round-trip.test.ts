import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFilesAtomic } from '../../../lib/adapters/local/atomic-write.js';
import { renderDotEnvFiles } from '../../../lib/pipeline/dot-env.js';

/** Values that break naive .env writers; each must read back identical through dotenv and bash. */
const VALUES: Record<string, string> = {
  SINGLE_QUOTE: "it's",
  DOUBLE_QUOTE: 'say "hi"',
  BOTH_QUOTES: `it's "both"`,
  DOLLAR: '$HOME ${PATH} $(whoami) `id`',
  BACKSLASHES: 'C:\\temp\\new \\\\ \\n \\t',
  TRAILING_BACKSLASH: 'C:\\dir\\',
  HASH: 'a # not a comment',
  SPACES: '  padded  value  ',
  NEWLINES: 'line1\nline2\n\nline4',
  NEWLINE_AND_QUOTES: `it's\n"multi"`,
  NON_ASCII: 'héllo wörld ✓ 日本語 😀',
  EMPTY: '',
  EQUALS: 'a=b=c',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stageline-dotenv-it-'));
  const files = renderDotEnvFiles(VALUES);
  await writeFilesAtomic(
    [
      { path: join(dir, '.env'), content: files.dotEnv },
      { path: join(dir, '.env_export'), content: files.envExport },
    ],
    0o600,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('.env and .env_export round-trip', () => {
  it('reads back identical through dotenv.parse', async () => {
    expect(parse(await readFile(join(dir, '.env'), 'utf8'))).toEqual(VALUES);
  });

  it("reads back identical through bash -c 'set -a; . ./.env_export; env'", () => {
    // `env -0` instead of `env`: NUL-separated, so values with newlines parse unambiguously.
    const output = execFileSync('bash', ['-c', 'set -a; . ./.env_export; env -0'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8' });
    const environment = Object.fromEntries(
      output
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
    for (const [key, value] of Object.entries(VALUES)) expect({ key, value: environment[key] }).toEqual({ key, value });
  });

  it('writes both files with mode 0600', async () => {
    for (const file of ['.env', '.env_export']) expect((await stat(join(dir, file))).mode & 0o777).toBe(0o600);
  });
});
