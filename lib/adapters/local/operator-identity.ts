import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

/** Who is running the command: `git config user.email`, else `<user>@localhost`. */
export function operatorIdentity(cwd: string): string {
  try {
    const email = execFileSync('git', ['config', 'user.email'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (email) return email;
  } catch {
    // No git, or no email configured.
  }
  return `${process.env.USER ?? userInfo().username}@localhost`;
}
