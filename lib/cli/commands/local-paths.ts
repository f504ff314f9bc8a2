import { resolve, join } from 'node:path';

/** The local files of a project (DESIGN §7), each overridable by a flag. */
export interface LocalPaths {
  project: string;
  orgConfig: string;
  stateDir: string;
  secretsFile: string;
  variablesFile: string;
}

export function localPaths(cwd: string, options: { project?: string; orgConfig?: string; stateDir?: string; secretsFile?: string; variablesFile?: string }): LocalPaths {
  const project = resolve(cwd, options.project ?? '.');
  return {
    project,
    orgConfig: options.orgConfig ? resolve(cwd, options.orgConfig) : join(project, '.stageline', 'organization.yaml'),
    stateDir: options.stateDir ? resolve(cwd, options.stateDir) : join(project, '.stageline', 'store'),
    secretsFile: options.secretsFile ? resolve(cwd, options.secretsFile) : join(project, '.stageline', 'secrets.yaml'),
    variablesFile: options.variablesFile ? resolve(cwd, options.variablesFile) : join(project, '.stageline', 'variables.yaml'),
  };
}
