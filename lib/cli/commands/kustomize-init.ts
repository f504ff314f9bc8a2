import { randomBytes } from 'node:crypto';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StorageError, UsageError } from '../../errors.js';
import { ensureDirectory, writeFilesAtomic } from '../../adapters/local/atomic-write.js';
import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { displayPath, loadOrganizationIfPresent, loadServiceIfPresent, localProjectPaths } from '../../adapters/local/local-project.js';
import * as z from 'zod/mini';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import { DNS_LABEL, email } from '../../pipeline/config/common.js';
import { environmentNames } from '../../pipeline/config/organization.js';
import { ScaffoldError } from '../../pipeline/errors.js';
import {
  findDeployedResource,
  missingGitIgnoreLines,
  scaffoldNewTree,
  scaffoldOrganizationFile,
  scaffoldServiceFile,
  seedFromDeployed,
  type OverlaySpec,
  type ScaffoldFiles,
} from '../../pipeline/scaffold.js';
import type { CliIo } from '../io.js';

export interface KustomizeInitOptions {
  kind?: string;
  name?: string;
  new?: boolean;
  platform: 'kubernetes' | 'ecs';
  envs?: string;
  /** The organization a new service belongs to, when there is no organization config yet. */
  org?: string;
  project: string;
  orgConfig?: string;
  stateDir?: string;
  force?: boolean;
}

/** The promotion order of a new organization config, when `--envs` names none. */
const DEFAULT_ENVIRONMENTS = ['dev', 'staging', 'production'];

/** The approver of a new organization's last environment when the operator's identity is no email address. */
const PLACEHOLDER_APPROVER = 'approver@example.com';

/**
 * `stageline kustomize init --new` scaffolds a service that deploys as it is: the tree, and when
 * missing `stageline.yaml`, `.stageline/organization.yaml` and the `.gitignore` entries; `stageline kustomize init <kind> <name>`
 * seeds one from the manifests last deployed in the local store. Either way the tree is written
 * whole or not at all, and an existing, non-empty tree is only overwritten with `--force`.
 */
export async function kustomizeInitCommand(options: KustomizeInitOptions, io: CliIo): Promise<void> {
  const paths = localProjectPaths(io.cwd, { ...options, here: true });
  const service = await loadServiceIfPresent(paths, io.cwd);
  const organization = await loadOrganizationIfPresent(paths, io.cwd);
  const kustomizeDir = join(paths.root, service?.spec.kustomizeDir ?? '_kustomize');

  let files: ScaffoldFiles;
  const projectFiles: { path: string; content: string; note: string }[] = [];
  if (options.new) {
    if (options.kind !== undefined) throw new UsageError('--new takes no <kind> <name>: use either `init --new` or `init <kind> <name>`');
    const serviceName = service?.metadata.name ?? toDnsLabel(basename(paths.root));
    const known = organization ? environmentNames(organization) : undefined;
    const overlays = known || options.envs !== undefined ? parseEnvs(options.envs, known) : DEFAULT_ENVIRONMENTS.map((env) => ({ overlay: env, env }));
    files = scaffoldNewTree({ service: serviceName, platform: options.platform, overlays });
    const org = organization?.metadata.name ?? service?.metadata.org ?? options.org ?? 'my-org';
    if (options.org !== undefined && !DNS_LABEL.test(options.org)) throw new UsageError(`--org: ${JSON.stringify(options.org)} is not a valid name (lowercase letters, digits and '-')`);
    if (organization && options.org !== undefined && options.org !== organization.metadata.name) {
      throw new UsageError(`--org ${options.org}: the organization config ${displayPath(io.cwd, paths.orgFile)} is ${organization.metadata.name}`, { hint: 'drop --org, or pass --org-config FILE of that organization' });
    }
    if (!organization) {
      const operator = operatorIdentity(paths.root);
      const approver = z.safeParse(email, operator).success ? operator : PLACEHOLDER_APPROVER;
      const environments = [...new Set(overlays.map((spec) => spec.env).filter((env) => env !== 'local'))];
      projectFiles.push({ path: paths.orgFile, content: scaffoldOrganizationFile({ org, environments, approver }), note: `organization ${org}: ${environments.join(' → ')}, ${environments.at(-1)} gated (approver ${approver})` });
    }
    if (!service) projectFiles.push({ path: paths.serviceFile, content: scaffoldServiceFile({ service: serviceName, org }), note: `service ${serviceName}` });
    const gitIgnore = join(paths.root, '.gitignore');
    const current = await readOptional(gitIgnore);
    const missing = missingGitIgnoreLines(current);
    if (missing.length > 0) {
      const separator = current === undefined || current === '' || current.endsWith('\n') ? '' : '\n';
      projectFiles.push({ path: gitIgnore, content: `${current ?? ''}${separator}${current ? '\n' : ''}${missing.join('\n')}\n`, note: 'ignores local secrets, variables, store and .env files' });
    }
  } else {
    if (options.kind === undefined || options.name === undefined) {
      throw new UsageError('kustomize init needs --new, or the <kind> and <name> of a deployed resource', { hint: 'e.g. stageline kustomize init KubernetesDeployment hello-service' });
    }
    const org = organization?.metadata.name ?? service?.metadata.org;
    if (!org) throw new UsageError('cannot tell the organization: no stageline.yaml and no organization config', { hint: 'pass --org-config FILE' });
    const store = new DirectoryArtifactStore(paths.storeDir);
    const deployed = await findDeployedResource(store, org, options.kind, options.name);
    if (deployed.length === 0) {
      throw new ScaffoldError(`no ${options.kind} named ${options.name} in ${displayPath(io.cwd, join(paths.storeDir, 'deployed', org))}/*/*.yaml`, {
        hint: 'check the kind and metadata.name, or pass --state-dir to the store that recorded the deployment',
      });
    }
    files = seedFromDeployed(deployed);
  }

  await writeTree(kustomizeDir, files, options.force === true, io.cwd);
  if (projectFiles.length > 0) await writeFilesAtomic(projectFiles.map(({ path, content }) => ({ path, content })));
  io.out(`wrote ${displayPath(io.cwd, kustomizeDir)}/:`);
  for (const path of Object.keys(files).sort()) io.out(`  ${path}`);
  for (const file of projectFiles) io.out(`wrote ${displayPath(io.cwd, file.path)} (${file.note})`);
  if (options.new) io.out(`next: stageline plan${options.project === '.' ? '' : ` --project ${options.project}`}, then stageline deploy --local --approve`);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `--envs dev,staging` (overlay = environment) or `--envs dev=app-dev,prod=app-production`. */
export function parseEnvs(envs: string | undefined, known: readonly string[] | undefined): OverlaySpec[] {
  if (envs === undefined) {
    if (!known) throw new UsageError('no --envs and no organization config to take the environments from', { hint: 'pass --envs dev,staging,production or --org-config FILE' });
    return known.map((env) => ({ overlay: env, env }));
  }
  const specs = envs.split(',').map((item) => item.trim()).filter(Boolean).map((item): OverlaySpec => {
    const [overlay, env = overlay] = item.split('=').map((part) => part.trim()) as [string, string?];
    for (const name of [overlay, env]) {
      if (!DNS_LABEL.test(name)) throw new UsageError(`--envs: ${JSON.stringify(name)} is not a valid name (lowercase letters, digits and '-')`);
    }
    if (known && !known.includes(env)) {
      throw new UsageError(`--envs: ${env} is not an environment of the organization (known: ${known.join(', ')})`, { hint: 'write overlay=environment, e.g. --envs dev=app-dev' });
    }
    return { overlay, env };
  });
  if (specs.length === 0) throw new UsageError('--envs: expected a comma-separated list of overlay names');
  return specs;
}

async function writeTree(dir: string, files: ScaffoldFiles, force: boolean, cwd: string): Promise<void> {
  const existing = await listTree(dir);
  if (existing.length > 0 && !force) {
    const shown = existing.slice(0, 3).join(', ') + (existing.length > 3 ? `, … (${existing.length} files)` : '');
    throw new ScaffoldError(`${displayPath(cwd, dir)} already exists (${shown}); nothing written`, { hint: 'pass --force to overwrite the files init writes' });
  }
  if (existing.length > 0) {
    await writeFilesAtomic(Object.entries(files).map(([path, content]) => ({ path: join(dir, path), content })));
    return;
  }
  // A new tree appears whole: written beside the target, then renamed into place.
  const staging = join(dirname(dir), `.${basename(dir)}.init-${randomBytes(4).toString('hex')}`);
  try {
    for (const [path, content] of Object.entries(files)) {
      await ensureDirectory(dirname(join(staging, path)));
      await writeFile(join(staging, path), content, { flag: 'wx' });
    }
    await rm(dir, { recursive: true, force: true }); // an empty directory, if any
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // A full disk or a read-only project: one line naming the tree, not a raw errno.
    throw StorageError.from(error, 'write', dir, dirname(dir)) ?? error;
  }
}

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listTree(join(dir, entry.name), path)));
    else files.push(path);
  }
  return files.sort();
}

function toDnsLabel(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return label || 'my-service';
}
