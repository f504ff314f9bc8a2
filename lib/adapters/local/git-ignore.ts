import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';

/**
 * Whether git would ignore `file`. Asks `git check-ignore` when git is installed and the file is
 * in a work tree (exact answer: global excludes, info/exclude, nested .gitignore files); otherwise
 * reads the `.gitignore` files from the file's directory up to the repository root (the directory
 * holding `.git`, or the filesystem root) with the common subset of gitignore syntax
 * (globs `*` `?`, leading `/`, trailing `/`, `!` negation, `**`).
 */
export async function isGitIgnored(file: string): Promise<boolean> {
  const answer = await gitCheckIgnore(file);
  if (answer !== undefined) return answer;
  return matchGitIgnoreFiles(file);
}

function gitCheckIgnore(file: string): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['check-ignore', '-q', '--', basename(file)], { cwd: dirname(file), timeout: 5_000 }, (error) => {
      if (!error) return resolve(true);
      const code = (error as { code?: unknown }).code;
      resolve(code === 1 ? false : undefined); // 128: not a repository; ENOENT: no git
    });
  });
}

export async function matchGitIgnoreFiles(file: string): Promise<boolean> {
  const directories: string[] = [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    directories.unshift(dir);
    if (await exists(join(dir, '.git')) || dirname(dir) === dir) break;
  }
  let ignored = false;
  for (const dir of directories) {
    let text: string;
    try {
      text = await readFile(join(dir, '.gitignore'), 'utf8');
    } catch {
      continue;
    }
    const path = relative(dir, file).split('\\').join('/');
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/\s+$/, '');
      if (line === '' || line.startsWith('#')) continue;
      const negated = line.startsWith('!');
      const pattern = negated ? line.slice(1) : line;
      if (matchesPattern(pattern, path)) ignored = !negated;
    }
  }
  return ignored;
}

function matchesPattern(pattern: string, path: string): boolean {
  let body = pattern.endsWith('/') ? pattern.slice(0, -1) : pattern;
  const anchored = body.includes('/');
  if (body.startsWith('/')) body = body.slice(1);
  const regex = new RegExp(`^${globToRegex(body)}$`);
  if (!anchored) return path.split('/').some((segment) => regex.test(segment));
  return regex.test(path);
}

function globToRegex(glob: string): string {
  let out = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (char === '*' && glob[index + 1] === '*') {
      out += '.*';
      index++;
      if (glob[index + 1] === '/') index++;
    } else if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
