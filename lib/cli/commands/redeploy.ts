import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { loadService, localProjectPaths } from '../../adapters/local/local-project.js';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import { UsageError } from '../../errors.js';
import { retryBuild, rollbackBuild } from '../../pipeline/workflow/redeploy.js';
import { systemClock } from '../../ports/clock.js';
import { printable, type CliIo } from '../io.js';
import { deployCommand, type DeployOptions } from './deploy.js';

type RedeployOptions = Pick<DeployOptions, 'project' | 'local' | 'approve' | 'reject' | 'orgConfig' | 'stateDir' | 'secretsFile' | 'variablesFile' | 'triggeredBy' | 'verbose' | 'quiet' | 'output'>;

/**
 * `stageline retry <run>`: a new run of the same build that starts at the environment that stopped
 * it (failed, rejected, timed out or cancelled), with that run's stored manifests, through the
 * same gates.
 */
export async function retryCommand(options: RedeployOptions & { runId: string }, io: CliIo): Promise<void> {
  requireLocal(options, 'retry');
  const paths = localProjectPaths(io.cwd, options);
  const store = new DirectoryArtifactStore(paths.storeDir);
  const prepared = await retryBuild(store, options.runId, options.triggeredBy ?? operatorIdentity(paths.root), systemClock.now());
  io.err(`retry of ${printable(options.runId)}: ${prepared.service} ${prepared.commitSha.slice(0, 12)} → ${prepared.image}, from ${prepared.origin!.env} on`);
  await deployCommand({ ...options, prepared }, io);
}

/**
 * `stageline rollback <env>`: deploys that environment's previous manifest again (byte-identical,
 * digest-pinned; references resolved afresh) as a new run of kind rollback, through the same gates.
 */
export async function rollbackCommand(options: RedeployOptions & { env: string; to?: string }, io: CliIo): Promise<void> {
  requireLocal(options, 'rollback');
  const paths = localProjectPaths(io.cwd, options);
  const service = (await loadService(paths, io.cwd)).metadata.name;
  const store = new DirectoryArtifactStore(paths.storeDir);
  const { build, target, current } = await rollbackBuild(store, service, options.env, options.to, options.triggeredBy ?? operatorIdentity(paths.root), systemClock.now());
  io.err(
    `rollback of ${printable(options.env)}: from ${current.image} (manifest ${current.digest.slice(0, 12)}, run ${current.runId}) to ${target.image} (manifest ${target.digest.slice(0, 12)}, run ${target.runId})`,
  );
  await deployCommand({ ...options, prepared: build }, io);
}

function requireLocal(options: RedeployOptions, verb: string): void {
  if (!options.local) {
    throw new UsageError(`${verb} runs on the local runtime only for now: pass --local`, { hint: `in AWS, ${verb === 'retry' ? 'redeploy the build with stageline deploy --redeploy' : 'deploy the earlier commit again with stageline deploy --commit SHA --redeploy'}` });
  }
}
