import { execFile } from 'node:child_process';
import { DiskFileSystem } from '../adapters/local/disk-file-system.js';
import { displayPath, loadOrganization, loadService, type LocalProjectPaths } from '../adapters/local/local-project.js';
import { buildKustomization } from '../kustomize/index.js';
import type { OrganizationConfig } from '../pipeline/config/organization.js';
import type { ServiceConfig } from '../pipeline/config/service.js';
import { createDeploymentTasks, type DeploymentPlan } from '../pipeline/deployment-tasks.js';
import { resolveManifests, type ResolveManifestsResult } from '../pipeline/resolve-manifests.js';

/** Placeholder commit when the project is not a git work tree. */
const NO_COMMIT = '0'.repeat(40);

export interface ProjectPlan {
  organization: OrganizationConfig;
  service: ServiceConfig;
  serviceFile: string;
  branch: string;
  commitSha: string;
  resolved: ResolveManifestsResult;
  plan: DeploymentPlan;
}

/**
 * The environments a branch of the project on disk deploys, manifests resolved exactly as a run
 * would (with `image`, default `<service>:plan` since the build's image is not known yet): what
 * `plan` shows and `check` looks up. The branch defaults to the git branch, as `deploy`'s does.
 */
export async function planProject(paths: LocalProjectPaths, cwd: string, options: { branch?: string; image?: string }): Promise<ProjectPlan> {
  const service = await loadService(paths, cwd);
  const organization = await loadOrganization(paths, cwd);
  const serviceFile = displayPath(cwd, paths.serviceFile);
  const fs = new DiskFileSystem();
  const commitSha = (await git(paths.root, ['rev-parse', 'HEAD'], /^[0-9a-f]{40}$/)) ?? NO_COMMIT;
  const branch = options.branch ?? (await gitBranch(paths.root));
  const resolved = resolveManifests({
    organization,
    service,
    build: { commitSha, branch, image: options.image ?? `${service.metadata.name}:plan` },
    fs,
    projectDir: paths.root,
    renderOverlay: (dir) => buildKustomization(fs, dir).resources,
    serviceFile,
  });
  const plan = createDeploymentTasks({ organization, service, resolved, branch, serviceFile });
  return { organization, service, serviceFile, branch, commitSha, resolved, plan };
}

/** The checked-out branch, `main` outside a git work tree or on a detached HEAD (what `deploy` uses). */
export async function gitBranch(cwd: string): Promise<string> {
  const branch = await git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'], /^.+$/);
  return branch && branch !== 'HEAD' ? branch : 'main';
}

function git(cwd: string, args: string[], expected: RegExp): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5_000 }, (error, stdout) => {
      const text = String(stdout).trim();
      resolve(!error && expected.test(text) ? text : undefined);
    });
  });
}
