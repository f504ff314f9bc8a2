/**
 * Branch globs of the `stageline.dev/git-branch` label: `*` matches any run of characters
 * (including `/`, so `feature/*` matches `feature/a/b`), `?` exactly one character; everything
 * else is literal, case-sensitive, and the whole branch must match.
 */
export function matchesBranchGlob(glob: string, branch: string): boolean {
  const pattern = [...glob].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${pattern}$`, 'su').test(branch);
}
