import { isJsonObject } from '../../kustomize/json.js';
import { parseYamlDocument } from '../../kustomize/yaml/parse.js';
import { UnresolvedReferenceError } from '../errors.js';
import { checkReferences, type ReferenceSources } from '../resolve-references.js';
import { loadRunManifest } from '../run-manifests.js';
import { readRun } from '../workflow/records.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';

/**
 * Before the first environment of a run changes anything, every reference of every later
 * environment is looked up (values read and dropped, never kept or logged): a production secret
 * that does not exist fails the run at its first environment, before dev is touched, instead of
 * after dev and staging were deployed. The same lookup as `stageline check`.
 */
export async function checkLaterEnvironments(sources: ReferenceSources, request: StackJobRequest, log: (line: string) => void): Promise<void> {
  if (request.taskIndex !== 0) return;
  // No run record (a job started by hand): nothing to look ahead at.
  const run = await readRun(sources.outputs, request.runId);
  if (!run) return;
  const later = run.tasks.filter((task) => task.index > request.taskIndex);
  if (later.length === 0) return;
  const missing: { env: string; name: string; type: string; problem: string; hint?: string }[] = [];
  let checked = 0;
  for (const task of later) {
    const yaml = await loadRunManifest(sources.outputs, request.runId, task.digest);
    const source = `overlay "${task.overlay}"`;
    const manifest = parseYamlDocument(yaml, source, { duplicateKeys: 'error' });
    if (!isJsonObject(manifest)) continue;
    for (const finding of await checkReferences(manifest, { org: request.org, env: task.env, source }, sources)) {
      checked++;
      if (finding.problem) missing.push({ env: task.env, name: finding.name, type: finding.type, problem: finding.problem, ...(finding.hint ? { hint: finding.hint } : {}) });
    }
  }
  if (missing.length === 0) {
    log(`checked ${checked} reference${checked === 1 ? '' : 's'} of the later environments (${later.map((task) => task.env).join(', ')}): every one has a value`);
    return;
  }
  const names = missing.map((entry) => `${entry.env} ${entry.type} ${entry.name}`).join(', ');
  throw new UnresolvedReferenceError(`before anything is deployed: ${missing.length} reference${missing.length === 1 ? '' : 's'} of later environments ha${missing.length === 1 ? 's' : 've'} no value: ${names}`, {
    hint: missing[0]!.hint ?? missing[0]!.problem,
  });
}
