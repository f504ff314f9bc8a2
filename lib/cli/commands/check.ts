import { displayPath, localProjectPaths, localReferenceSources } from '../../adapters/local/local-project.js';
import { UsageError } from '../../errors.js';
import { UnresolvedReferenceError } from '../../pipeline/errors.js';
import { checkReferences, type ReferenceFinding } from '../../pipeline/resolve-references.js';
import { planProject } from '../project-plan.js';
import { printable, type CliIo } from '../io.js';
import { table } from '../table.js';

export interface CheckOptions {
  project: string;
  /** Environments (or overlay names) to check; every environment the branch deploys when empty. */
  env?: string[];
  branch?: string;
  orgConfig?: string;
  secretsFile?: string;
  variablesFile?: string;
  stateDir?: string;
  json?: boolean;
}

interface EnvironmentCheck {
  env: string;
  overlay: string;
  references: ReferenceFinding[];
}

/**
 * `stageline check`: looks up every secret and variable reference of every environment the branch
 * deploys (or those named by `--env`), as the stack job would just before applying, and says where
 * each was found — names and places, never values. Exit 1 when any has no value, naming them all.
 */
export async function checkCommand(options: CheckOptions, io: CliIo): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const { organization, resolved, plan, branch } = await planProject(paths, io.cwd, { ...(options.branch ? { branch: options.branch } : {}) });
  const wanted = options.env ?? [];
  const known = plan.tasks.flatMap((task) => [task.env, task.overlay]);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`--env ${unknown.join(', ')}: not an environment branch ${branch} deploys`, {
      hint: `the branch deploys ${plan.tasks.map((task) => task.env).join(', ') || 'nothing'} (stageline plan shows why)`,
    });
  }
  const tasks = plan.tasks.filter((task) => wanted.length === 0 || wanted.includes(task.env) || wanted.includes(task.overlay));
  const sources = localReferenceSources(paths);
  const checks: EnvironmentCheck[] = [];
  for (const task of tasks) {
    const manifest = resolved.manifests.find((candidate) => candidate.overlay === task.overlay)!;
    const references = await checkReferences(manifest.manifest, { org: organization.metadata.name, env: task.env, source: manifest.source }, sources);
    checks.push({ env: task.env, overlay: task.overlay, references });
  }
  const missing = checks.flatMap((check) => check.references.filter((finding) => finding.problem !== undefined).map((finding) => ({ env: check.env, finding })));

  if (options.json) {
    io.out(JSON.stringify({ branch, environments: checks, missing: missing.length }, null, 2));
  } else {
    const fileOf = (finding: ReferenceFinding) => displayPath(io.cwd, finding.type === 'secret' ? paths.secretsFile : paths.variablesFile);
    for (const check of checks) {
      const absent = check.references.filter((finding) => finding.problem !== undefined).length;
      const summary = check.references.length === 0 ? 'no references' : absent === 0 ? `${check.references.length} reference${check.references.length === 1 ? '' : 's'}, all found` : `${absent} of ${check.references.length} references missing`;
      io.out(`${printable(check.env)} (overlay ${printable(check.overlay)}): ${summary}`);
      if (check.references.length === 0) continue;
      const rows = check.references.map((finding) => [
        finding.type,
        finding.name,
        finding.foundIn === undefined ? 'MISSING' : finding.foundIn.startsWith('outputs/') ? finding.foundIn : `${finding.foundIn} (${fileOf(finding)})`,
        finding.paths.join(', '),
      ]);
      for (const line of table(['TYPE', 'NAME', 'FOUND IN', 'WHERE IN THE MANIFEST'], rows)) io.out(`  ${line}`);
    }
    if (checks.length === 0) io.out(`branch ${printable(branch)} deploys no environment (stageline plan shows why)`);
  }
  if (missing.length > 0) {
    const first = missing[0]!;
    const names = missing.map((entry) => `${entry.env} ${entry.finding.type} ${entry.finding.name}`).join(', ');
    throw new UnresolvedReferenceError(`${missing.length} reference${missing.length === 1 ? ' has' : 's have'} no value: ${names}`, {
      hint: first.finding.hint ?? first.finding.problem!,
    });
  }
}
