import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';
import type { ProvisionerUser } from '../local/command-provisioner.js';

/** Names the OS user provisioner commands run as in CodeBuild (default `nobody`). */
export const PROVISIONER_USER_VARIABLE = 'STAGELINE_PROVISIONER_USER';

export interface ProvisionerUserSources {
  /** `/etc/passwd`'s text. */
  passwd?: () => string;
  /** The runner's own uid (`process.getuid`). */
  uid?: () => number | undefined;
}

/**
 * The unprivileged user the runner hands the provisioner's commands to, or undefined when the
 * runner cannot switch users (it is not root: then the commands run as the runner's own user and
 * can read its environment — a local run, or a runner image that does not run builds as root).
 * CodeBuild runs builds as root, so there the runner's credentials (in its environment and every
 * ancestor's) are out of the provisioner's reach.
 */
export function provisionerUser(env: NodeJS.ProcessEnv, sources: ProvisionerUserSources = {}): ProvisionerUser | undefined {
  const uid = (sources.uid ?? (() => process.getuid?.()))();
  if (uid !== 0) return undefined;
  const name = env[PROVISIONER_USER_VARIABLE]?.trim() || 'nobody';
  const passwd = (sources.passwd ?? (() => readFileSync('/etc/passwd', 'utf8')))();
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name && fields.length >= 4);
  if (!entry) {
    throw new ConfigError(`${PROVISIONER_USER_VARIABLE}: user "${name}" does not exist in the runner image (/etc/passwd)`, {
      hint: 'create it in stageline:runnerInstallCommands (e.g. useradd --system stageline-provisioner) or name an existing unprivileged user',
    });
  }
  const [, , uidText, gidText] = entry;
  const user = { name, uid: Number(uidText), gid: Number(gidText) };
  if (!Number.isInteger(user.uid) || !Number.isInteger(user.gid) || user.uid === 0) {
    throw new ConfigError(`${PROVISIONER_USER_VARIABLE}: user "${name}" is root or has no numeric uid/gid; provisioner commands must not run as root`, {
      hint: 'name an unprivileged user (the default is nobody)',
    });
  }
  return user;
}
