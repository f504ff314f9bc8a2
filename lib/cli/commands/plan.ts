import { execFile } from 'node:child_process';
import { DiskFileSystem } from '../../adapters/local/disk-file-system.js';
import { displayPath, loadOrganization, loadService, localProjectPaths } from '../../adapters/local/local-project.js';
import { buildKustomization } from '../../kustomize/index.js';
import { createDeploymentTasks } from '../../pipeline/deployment-tasks.js';
import { formatPlanText, toPlanJson } from '../../pipeline/plan.js';
import { resolveManifests } from '../../pipeline/resolve-manifests.js';
import type { CliIo } from '../io.js';

/** Placeholder commit when the project is not a git work tree. */
const NO_COMMIT = '0'.repeat(40);

/**
 * `stageline plan`: which overlays the branch would deploy, in which order, with which gates, and
 * which it skips and why. Manifests are resolved exactly as a run would, with the image
 * `<service>:plan` (the build's image is not known yet), so digests are those of that placeholder.
 */
export async function planCommand(options: { project: string; branch: string; json?: boolean; orgConfig?: string }, io: CliIo): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const service = await loadService(paths, io.cwd);
  const organization = await loadOrganization(paths, io.cwd);
  const serviceFile = displayPath(io.cwd, paths.serviceFile);
  const fs = new DiskFileSystem();
  const commitSha = (await gitHead(paths.root)) ?? NO_COMMIT;
  const resolved = resolveManifests({
    organization,
    service,
    build: { commitSha, branch: options.branch, image: `${service.metadata.name}:plan` },
    fs,
    projectDir: paths.root,
    renderOverlay: (dir) => buildKustomization(fs, dir).resources,
    serviceFile,
  });
  const plan = createDeploymentTasks({ organization, service, resolved, branch: options.branch, serviceFile });
  const json = toPlanJson({ service: service.metadata.name, organization: organization.metadata.name, branch: options.branch }, resolved, plan);
  if (options.json) io.out(JSON.stringify(json, null, 2));
  else for (const line of formatPlanText(json)) io.out(line);
}

function gitHead(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5_000 }, (error, stdout) => {
      const sha = String(stdout).trim();
      resolve(!error && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined);
    });
  });
}
