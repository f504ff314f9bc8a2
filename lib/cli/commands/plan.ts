import { localProjectPaths } from '../../adapters/local/local-project.js';
import { formatPlanText, toPlanJson } from '../../pipeline/plan.js';
import { printable, type CliIo } from '../io.js';
import { planProject } from '../project-plan.js';

/**
 * `stageline plan`: which overlays the branch would deploy, in which order, with which gates, and
 * which it skips and why. Manifests are resolved exactly as `deploy --local` resolves them (same
 * commit, branch and default image), so the digests shown are the ones a run deploys.
 */
export async function planCommand(options: { project: string; branch?: string; image?: string; commit?: string; json?: boolean; orgConfig?: string }, io: CliIo): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const { organization, service, resolved, plan, branch } = await planProject(paths, io.cwd, {
    ...(options.branch ? { branch: options.branch } : {}),
    ...(options.image ? { image: options.image } : {}),
    ...(options.commit ? { commit: options.commit } : {}),
  });
  const json = toPlanJson({ service: service.metadata.name, organization: organization.metadata.name, branch }, resolved, plan);
  if (options.json) io.out(JSON.stringify(json, null, 2));
  // A repository's texts (overlay names, labels, skip reasons) go to a terminal: control characters escaped.
  else for (const line of formatPlanText(json)) io.out(printable(line));
}
