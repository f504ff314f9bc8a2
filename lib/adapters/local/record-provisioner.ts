import { formatPatch, structuredPatch } from 'diff';
import { sha256Hex } from '../../pipeline/manifest.js';
import { deployedDiffKey, deployedKey } from '../../pipeline/stack-job/keys.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { ProvisionJob, ProvisionResult, Provisioner } from '../../ports/provisioner.js';

/**
 * The built-in provisioner (the default for every kind the organization configures no command
 * for): it changes no infrastructure. It records the change: a unified diff of the stored
 * (unresolved) manifest against the one last deployed to the environment
 * (`deployed/<org>/<env>/<service>.yaml`), written to `deployed/<org>/<env>/<service>.diff` and
 * printed to the job's log. The runner then records the manifest itself as the deployed one.
 *
 * It only reads and writes the store, so it works the same in AWS and on a laptop. It never sees
 * the resolved manifest: nothing it writes or prints holds a secret value.
 */
export class RecordProvisioner implements Provisioner {
  constructor(private readonly store: ArtifactStore) {}

  async provision(job: ProvisionJob, log: (line: string) => void): Promise<ProvisionResult> {
    const key = deployedKey(job.org, job.env, job.service);
    const previous = (await this.store.get(key))?.body;
    const patch = structuredPatch(
      previous === undefined ? '/dev/null' : `a/${key}`,
      `b/${key}`,
      previous ?? '',
      job.storedManifest,
      undefined,
      undefined,
      { context: 3 },
    );
    const diff = formatPatch(patch);
    let added = 0;
    let removed = 0;
    for (const hunk of patch.hunks) {
      for (const line of hunk.lines) {
        if (line.startsWith('+')) added++;
        else if (line.startsWith('-')) removed++;
      }
    }
    await this.store.put(deployedDiffKey(job.org, job.env, job.service), diff);

    let summary: string;
    if (previous === undefined) summary = `recorded; first deployment of ${job.service} to ${job.env}`;
    else if (added + removed === 0) summary = 'recorded; no changes since the last deployment';
    else summary = `recorded; ${added + removed} line${added + removed === 1 ? '' : 's'} changed (+${added} -${removed})`;

    // A first deployment's "diff" is the whole manifest: stored, not printed.
    if (previous !== undefined && added + removed > 0) {
      log(`diff against ${key}:`);
      for (const line of diff.replace(/\n$/, '').split('\n')) log(`  ${line}`);
    }
    log(summary);
    return { outputs: { name: job.name, env: job.env, digest: sha256Hex(job.storedManifest) }, summary };
  }
}
