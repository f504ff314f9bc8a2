import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ConfigError, StagelineError } from '../errors.js';
import type { ServiceConfig } from '../pipeline/config/service.js';
import { validateBuildIdentifiers, type BuildEvent } from '../pipeline/workflow/records.js';

/** Where each field of a local build comes from, for error messages. */
const BUILD_SOURCES: Partial<Record<keyof BuildEvent, string>> = {
  org: 'stageline.yaml metadata.org',
  service: 'stageline.yaml metadata.name',
  commitSha: '--commit (or git HEAD)',
  branch: '--branch (or the git branch)',
  image: '--image',
  tag: '--tag',
  triggeredBy: '--triggered-by (or git user.email)',
};

/** Never part of a build, wherever they sit in the tree: git's own data, and dot-env's outputs (they hold resolved secrets). */
const NEVER_GATHERED = new Set(['.git', '.env', '.env_export']);

/** The largest file the build source may hold (a big CRD bundle is a few MiB). */
export const MAX_SOURCE_FILE_BYTES = 8 * 1024 * 1024;
/** The largest build source in all (uploaded to the store / S3 on every deploy). */
export const MAX_SOURCE_TOTAL_BYTES = 32 * 1024 * 1024;
/** The most files the build source may hold. */
export const MAX_SOURCE_FILES = 10_000;
const MIB = 1024 * 1024;

/**
 * The build source breaks a rule of the gatherer: a symlink out of the kustomize tree, a file that
 * is not a regular file, a loop, a size cap. Raised before anything is written anywhere.
 */
export class BuildSourceError extends StagelineError {
  constructor(message: string, hint: string) {
    super('BUILD_SOURCE_REFUSED', message, { hint });
  }
}

/**
 * The repository subset a run needs (DESIGN §4 builds/<service>/<commit>/source/): stageline.yaml +
 * the kustomize tree, gathered under the same rule as Kustomize's load restrictor so that a
 * commit cannot smuggle other files into the store (or S3): only regular files; a symlink is
 * followed only when its target lies inside the kustomize tree (so never `.stageline/secrets.yaml`,
 * `/etc/shadow` or `/proc/self/environ`); a directory reached twice on one path is a loop; `.git/`,
 * `.env`, `.env_export` and the `.stageline/` state folder are skipped; at most {@link MAX_SOURCE_FILE_BYTES} per file, {@link MAX_SOURCE_TOTAL_BYTES} and
 * {@link MAX_SOURCE_FILES} in all. Any violation throws one BuildSourceError naming the path
 * (relative to the project) before a single file is read into the result.
 */
export function collectProjectSource(projectDir: string, kustomizeDir: string): Map<string, string> {
  const root = realOrFail(projectDir, projectDir, 'the project directory');
  const serviceFile = join(projectDir, 'stageline.yaml');
  const serviceStats = statOrUndefined(serviceFile);
  if (!serviceStats) {
    throw new ConfigError(`${projectDir}: no stageline.yaml`, { hint: 'run it in a service repository, or pass --project DIR' });
  }
  const serviceReal = realOrFail(serviceFile, 'stageline.yaml', 'stageline.yaml');
  if (!isWithin(serviceReal, root)) refuse('stageline.yaml', `is a symlink to ${serviceReal}, outside the project`);
  if (!serviceStats.isFile()) refuse('stageline.yaml', 'is not a regular file');

  // The state folder holds the local secrets and the store: never part of a build, whatever links point there.
  const stateDir = realOrUndefined(join(projectDir, '.stageline'));
  const plan: Array<{ path: string; real: string; size: number }> = [{ path: 'stageline.yaml', real: serviceReal, size: serviceStats.size }];
  const treePath = join(projectDir, kustomizeDir);
  const treeReal = realOrUndefined(treePath);
  if (treeReal !== undefined) {
    // '' for a tree at the project root (`kustomizeDir: .`): its files keep their plain paths.
    const treeRel = toPosix(relative(projectDir, treePath));
    const treeName = treeRel || '.';
    if (!isWithin(treeReal, root)) refuse(treeName, `is a symlink to ${treeReal}, outside the project`);
    let total = serviceStats.size;
    const visit = (dir: string, dirReal: string, rel: string, ancestors: readonly string[]) => {
      for (const entry of readdirSync(dir).sort()) {
        if (NEVER_GATHERED.has(entry)) continue;
        const path = join(dir, entry);
        const name = rel === '' ? entry : `${rel}/${entry}`;
        const link = lstatSync(path);
        // A tree at the project root (`kustomizeDir: .`) holds the state folder itself: skipped, never refused.
        if (!link.isSymbolicLink() && link.isDirectory() && stateDir !== undefined && join(dirReal, entry) === stateDir) continue;
        let real = join(dirReal, entry);
        let stats: Stats = link;
        if (link.isSymbolicLink()) {
          real = realOrFail(path, name, 'its target');
          if (!isWithin(real, treeReal)) refuse(name, `is a symlink to ${real}, outside the kustomize tree ${treeName}/`);
          stats = statSync(real);
        }
        if (stateDir !== undefined && isWithin(real, stateDir)) refuse(name, 'points into .stageline/ (local secrets and the store)');
        if (stats.isDirectory()) {
          if (ancestors.includes(real)) refuse(name, `is a symlink loop (it leads back to ${toPosix(relative(root, real)) || '.'})`);
          visit(path, real, name, [...ancestors, real]);
        } else if (stats.isFile()) {
          if (stats.size > MAX_SOURCE_FILE_BYTES) refuse(name, `is ${(stats.size / MIB).toFixed(1)} MiB, over the ${MAX_SOURCE_FILE_BYTES / MIB} MiB cap per file`);
          total += stats.size;
          if (total > MAX_SOURCE_TOTAL_BYTES) refuse(`${treeName}/`, `holds more than ${MAX_SOURCE_TOTAL_BYTES / MIB} MiB (the cap of a build source), reached at ${name}`);
          if (plan.length >= MAX_SOURCE_FILES) refuse(`${treeName}/`, `holds more than ${MAX_SOURCE_FILES} files (the cap of a build source)`);
          plan.push({ path: name, real, size: stats.size });
        } else {
          refuse(name, 'is not a regular file (a FIFO, socket or device)');
        }
      }
    };
    if (!statSync(treeReal).isDirectory()) refuse(treeName, 'is not a directory');
    visit(treePath, treeReal, treeRel, [treeReal]);
  }
  // Everything checked: only now is anything read.
  const files = new Map<string, string>();
  for (const file of plan) files.set(file.path, readFileSync(file.real, 'utf8'));
  return files;
}

function refuse(path: string, problem: string): never {
  throw new BuildSourceError(`build source: ${path} ${problem}; refusing to gather the build`, 'a build holds only regular files of stageline.yaml and the kustomize tree: replace the symlink by the file itself, or remove it');
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The real path; a dangling link or a loop is one clear error naming `name`. */
function realOrFail(path: string, name: string, what: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') refuse(name, 'is a symlink loop');
    if (code === 'ENOENT') refuse(name, `is a symlink whose target does not exist (${what})`);
    throw error;
  }
}

/**
 * The commit a local run deploys: git's HEAD when the project has no uncommitted changes, else
 * a digest of the source (so an edited overlay is a new build, not a repeat of HEAD's).
 */
export function localCommit(projectDir: string, source: Map<string, string>): { commitSha: string; branch: string; fromGit: boolean } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: projectDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let branch = 'main';
  try {
    branch = git('rev-parse', '--abbrev-ref', 'HEAD') || 'main';
    if (branch === 'HEAD') branch = 'main';
    const head = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--', '.');
    if (!dirty) return { commitSha: head, branch, fromGit: true };
  } catch {
    // Not a git checkout.
  }
  const hash = createHash('sha256');
  for (const [path, content] of [...source.entries()].sort(([a], [b]) => a.localeCompare(b))) hash.update(`${path}\0${content}\0`);
  return { commitSha: hash.digest('hex').slice(0, 40), branch, fromGit: false };
}

/**
 * The `Build Completed` detail for a project as it is on disk (what `deploy` uploads and
 * announces, locally or to AWS): its source subset, and the build event with flags overriding
 * the commit, branch, image, tag and who triggered it.
 */
export function projectBuild(
  projectDir: string,
  service: ServiceConfig,
  overrides: Partial<BuildEvent>,
  triggeredBy: string,
): { build: BuildEvent; source: Map<string, string> } {
  if (overrides.commitSha !== undefined) validateBuildIdentifiers({ commitSha: overrides.commitSha }, '--commit');
  const source = collectProjectSource(projectDir, service.spec.kustomizeDir);
  const commit = localCommit(projectDir, source);
  const commitSha = overrides.commitSha ?? commit.commitSha;
  const build: BuildEvent = {
    org: service.metadata.org,
    service: service.metadata.name,
    commitSha,
    branch: overrides.branch ?? commit.branch,
    image: overrides.image ?? `${service.metadata.name}:${commitSha.slice(0, 12)}`,
    // One identity, compared trimmed everywhere (the approval page trims what it is given).
    triggeredBy: (overrides.triggeredBy ?? triggeredBy).trim(),
    ...(overrides.tag ? { tag: overrides.tag } : {}),
  };
  // Before the caller writes anything: a bad commit must not leave builds/<service>/<bad>/ behind.
  validateBuildIdentifiers(build, (field) => BUILD_SOURCES[field] ?? 'the build');
  return { build, source };
}

