import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { displayPath, loadOrganization, loadService, localProjectPaths } from '../../adapters/local/local-project.js';
import { ConfigError, UsageError } from '../../errors.js';
import { environmentNames, parseOrganization, type OrganizationConfig } from '../../pipeline/config/organization.js';
import { environmentHistory, environmentsOverview, type Deployment, type EnvironmentRow } from '../../pipeline/workflow/deployments.js';
import { organizationKey } from '../../pipeline/workflow/records.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { printable, type CliIo } from '../io.js';
import { table } from '../table.js';

export interface DeploymentsOptions {
  project: string;
  stateDir?: string;
  orgConfig?: string;
  /** Read the AWS stack's bucket instead of the local store (its organization config too). */
  bucket?: string;
  region?: string;
  json?: boolean;
}

/** `stageline environments`: one row per environment of the organization, what is deployed and what is coming. */
export async function environmentsCommand(options: DeploymentsOptions, io: CliIo): Promise<void> {
  const { store, organization, service } = await openDeployments(options, io);
  const rows = await environmentsOverview(store, service, environmentNames(organization));
  if (options.json) {
    io.out(JSON.stringify({ service, organization: organization.metadata.name, environments: rows.map(rowJson) }, null, 2));
    return;
  }
  const lines = table(
    ['ENVIRONMENT', 'COMMIT', 'IMAGE', 'DIGEST', 'DEPLOYED', 'APPROVED BY', 'RUN', 'IN FLIGHT'],
    rows.map((row) => [
      row.env,
      row.deployed ? row.deployed.commitSha.slice(0, 12) : '-',
      row.deployed?.image ?? '-',
      row.deployed ? row.deployed.digest.slice(0, 12) : '-',
      row.deployed?.deployedAt ?? 'never deployed',
      row.deployed?.approvedBy.join(', ') || '-',
      row.deployed?.runId ?? '-',
      row.inFlight.map((flight) => `${flight.runId} ${flight.status}`).join('; ') || '-',
    ]),
  );
  for (const line of lines) io.out(line);
}

/** `stageline history <env>`: that environment's deployments, newest first. */
export async function historyCommand(options: DeploymentsOptions & { env: string }, io: CliIo): Promise<void> {
  const { store, organization, service, orgFile } = await openDeployments(options, io);
  const known = environmentNames(organization);
  if (!known.includes(options.env)) {
    throw new UsageError(`environment ${JSON.stringify(options.env)} is not in the organization (${orgFile})`, { hint: `known environments: ${known.join(', ')}` });
  }
  const deployments = await environmentHistory(store, service, options.env);
  if (options.json) {
    io.out(JSON.stringify({ service, env: options.env, deployments }, null, 2));
    return;
  }
  if (deployments.length === 0) {
    io.out(`${printable(options.env)}: nothing deployed yet (stageline deploy starts a run)`);
    return;
  }
  const lines = table(
    ['DEPLOYED', 'KIND', 'COMMIT', 'IMAGE', 'DIGEST', 'APPROVED BY', 'TRIGGERED BY', 'RUN'],
    deployments.map((deployment) => [
      deployment.deployedAt,
      deployment.kind,
      deployment.commitSha.slice(0, 12),
      deployment.image,
      deployment.digest.slice(0, 12),
      deployment.approvedBy.join(', ') || '-',
      deployment.triggeredBy,
      deployment.runId,
    ]),
  );
  for (const line of lines) io.out(line);
}

function rowJson(row: EnvironmentRow): { env: string; deployed: Deployment | null; inFlight: EnvironmentRow['inFlight'] } {
  return { env: row.env, deployed: row.deployed ?? null, inFlight: row.inFlight };
}

/** The store and organization to read: the local ones, or the AWS stack's bucket with `--bucket`. */
async function openDeployments(options: DeploymentsOptions, io: CliIo): Promise<{ store: ArtifactStore; organization: OrganizationConfig; service: string; orgFile: string }> {
  const paths = localProjectPaths(io.cwd, options);
  const service = (await loadService(paths, io.cwd)).metadata.name;
  if (!options.bucket) {
    const organization = await loadOrganization(paths, io.cwd);
    return { store: new DirectoryArtifactStore(paths.storeDir), organization, service, orgFile: displayPath(io.cwd, paths.orgFile) };
  }
  const [{ S3Client }, { S3ArtifactStore }] = await Promise.all([import('@aws-sdk/client-s3'), import('../../adapters/aws/s3-artifact-store.js')]);
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const store = new S3ArtifactStore({ bucket: options.bucket, client: new S3Client(region ? { region } : {}) });
  const orgFile = `s3://${options.bucket}/${organizationKey}`;
  const object = await store.get(organizationKey);
  if (!object) throw new ConfigError(`${orgFile} does not exist`, { hint: "is it the DeploymentStage stack's bucket? the stack uploads the organization config there" });
  return { store, organization: parseOrganization(object.body, orgFile), service, orgFile };
}
