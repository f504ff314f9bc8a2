import { DiskFileSystem } from '../adapters/local/disk-file-system.js';
import { displayPath, loadOrganization, loadService, type LocalProjectPaths } from '../adapters/local/local-project.js';
import { buildKustomization } from '../kustomize/index.js';
import type { OrganizationConfig } from '../pipeline/config/organization.js';
import { requireServiceOfOrganization, type ServiceConfig } from '../pipeline/config/service.js';
import { createDeploymentTasks, type DeploymentPlan } from '../pipeline/deployment-tasks.js';
import { resolveManifests, type ResolveManifestsResult } from '../pipeline/resolve-manifests.js';
import { projectBuild } from '../local-runtime/project-source.js';

export interface ProjectPlan {
  organization: OrganizationConfig;
  service: ServiceConfig;
  serviceFile: string;
  branch: string;
  commitSha: string;
  image: string;
  resolved: ResolveManifestsResult;
  plan: DeploymentPlan;
}

/**
 * The environments a branch of the project on disk deploys, manifests resolved exactly as
 * `deploy --local` would resolve them: same commit (git HEAD, or a digest of uncommitted source),
 * same branch (the git branch), same default image, hence the same digests. What `plan` shows and
 * `check` looks up.
 */
export async function planProject(paths: LocalProjectPaths, cwd: string, options: { branch?: string; image?: string; commit?: string }): Promise<ProjectPlan> {
  const service = await loadService(paths, cwd);
  const organization = await loadOrganization(paths, cwd);
  const serviceFile = displayPath(cwd, paths.serviceFile);
  requireServiceOfOrganization(service, organization, serviceFile, displayPath(cwd, paths.orgFile));
  const fs = new DiskFileSystem();
  const { build } = projectBuild(
    paths.root,
    service,
    { ...(options.branch ? { branch: options.branch } : {}), ...(options.image ? { image: options.image } : {}), ...(options.commit ? { commitSha: options.commit } : {}) },
    'plan',
  );
  const { commitSha, branch, image } = build;
  const resolved = resolveManifests({
    organization,
    service,
    build: { commitSha, branch, image },
    fs,
    projectDir: paths.root,
    renderOverlay: (dir) => buildKustomization(fs, dir).resources,
    serviceFile,
  });
  const plan = createDeploymentTasks({ organization, service, resolved, branch, serviceFile });
  return { organization, service, serviceFile, branch, commitSha, image, resolved, plan };
}
