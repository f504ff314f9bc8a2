import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { parseOrganization, type OrganizationConfig } from '../../pipeline/config/organization.js';
import { parseService, type ServiceConfig } from '../../pipeline/config/service.js';
import { DirectoryArtifactStore } from './directory-artifact-store.js';
import { FileSecretSource } from './file-secret-source.js';
import { FileVariableSource } from './file-variable-source.js';
import type { ReferenceSources } from '../../pipeline/resolve-references.js';

/** The files of a project on disk (DESIGN §7), resolved once for a CLI command. */
export interface LocalProjectPaths {
  root: string;
  serviceFile: string;
  orgFile: string;
  secretsFile: string;
  variablesFile: string;
  storeDir: string;
}

/** Each file overridable by a flag (DESIGN §7); defaults under `<project>/.stageline/`. */
export function localProjectPaths(
  cwd: string,
  options: { project?: string; orgConfig?: string; stateDir?: string; secretsFile?: string; variablesFile?: string; here?: boolean },
): LocalProjectPaths {
  const root = options.project === undefined || options.project === '.' ? (options.here ? resolve(cwd) : findProjectRoot(cwd)) : resolve(cwd, options.project);
  const override = (value: string | undefined, fallback: string) => (value ? resolve(cwd, value) : join(root, '.stageline', fallback));
  return {
    root,
    serviceFile: join(root, 'stageline.yaml'),
    orgFile: override(options.orgConfig, 'organization.yaml'),
    secretsFile: override(options.secretsFile, 'secrets.yaml'),
    variablesFile: override(options.variablesFile, 'variables.yaml'),
    storeDir: override(options.stateDir, 'store'),
  };
}

/**
 * Without `--project`, commands work from a subdirectory of a service like git does: the nearest
 * directory upwards holding a `stageline.yaml`, not beyond the git work tree's root (the directory
 * holding `.git`); the current directory when there is none. (`kustomize init` always takes the
 * current directory: it is where a new service goes.)
 */
export function findProjectRoot(cwd: string): string {
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'stageline.yaml'))) return dir;
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return start;
  }
}

/** How a file is named in messages: relative to where the user runs the command when that is shorter. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && rel.length < path.length ? rel : path;
}

export async function loadService(paths: LocalProjectPaths, cwd: string): Promise<ServiceConfig> {
  const text = await readText(paths.serviceFile);
  const shown = displayPath(cwd, paths.serviceFile);
  if (text === undefined) throw new ConfigError(`${shown}: not found`, { hint: 'run in the service repository, or pass --project DIR' });
  return parseService(text, shown);
}

/** The service config, or undefined when the project has no stageline.yaml yet. */
export async function loadServiceIfPresent(paths: LocalProjectPaths, cwd: string): Promise<ServiceConfig | undefined> {
  const text = await readText(paths.serviceFile);
  return text === undefined ? undefined : parseService(text, displayPath(cwd, paths.serviceFile));
}

export async function loadOrganization(paths: LocalProjectPaths, cwd: string): Promise<OrganizationConfig> {
  const organization = await loadOrganizationIfPresent(paths, cwd);
  if (!organization) {
    throw new ConfigError(`${displayPath(cwd, paths.orgFile)}: organization config not found`, {
      hint: 'create .stageline/organization.yaml (see examples/hello-service), or pass --org-config FILE',
    });
  }
  return organization;
}

export async function loadOrganizationIfPresent(paths: LocalProjectPaths, cwd: string): Promise<OrganizationConfig | undefined> {
  const text = await readText(paths.orgFile);
  return text === undefined ? undefined : parseOrganization(text, displayPath(cwd, paths.orgFile));
}

/** The local reference sources: secrets.yaml, variables.yaml, and the local store for stack-job outputs. */
export function localReferenceSources(paths: LocalProjectPaths): ReferenceSources {
  return {
    secrets: new FileSecretSource(paths.secretsFile),
    variables: new FileVariableSource(paths.variablesFile),
    outputs: new DirectoryArtifactStore(paths.storeDir),
  };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
