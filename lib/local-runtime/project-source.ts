import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ServiceConfig } from '../pipeline/config/service.js';
import type { BuildEvent } from '../pipeline/workflow/records.js';

/** The repository subset a run needs (DESIGN §4 builds/<service>/<commit>/source/): stageline.yaml + the kustomize tree. */
export function collectProjectSource(projectDir: string, kustomizeDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const serviceFile = join(projectDir, 'stageline.yaml');
  if (!existsSync(serviceFile)) {
    throw new ConfigError(`${projectDir}: no stageline.yaml`, { hint: 'run it in a service repository, or pass --project DIR' });
  }
  files.set('stageline.yaml', readFileSync(serviceFile, 'utf8'));
  const tree = join(projectDir, kustomizeDir);
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) visit(path);
      else files.set(relative(projectDir, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  if (existsSync(tree)) visit(tree);
  return files;
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
  const source = collectProjectSource(projectDir, service.spec.kustomizeDir);
  const commit = localCommit(projectDir, source);
  const commitSha = overrides.commitSha ?? commit.commitSha;
  const build: BuildEvent = {
    org: service.metadata.org,
    service: service.metadata.name,
    commitSha,
    branch: overrides.branch ?? commit.branch,
    image: overrides.image ?? `${service.metadata.name}:${commitSha.slice(0, 12)}`,
    triggeredBy: overrides.triggeredBy ?? triggeredBy,
    ...(overrides.tag ? { tag: overrides.tag } : {}),
  };
  return { build, source };
}

