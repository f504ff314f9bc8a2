import { MemoryFileSystem } from '../../kustomize/memory-file-system.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { ConfigError } from '../../errors.js';
import { parseOrganization, type OrganizationConfig } from '../config/organization.js';
import { parseService, type ServiceConfig } from '../config/service.js';
import { buildSourcePrefix, organizationKey } from './records.js';

/** Where a build's source subset sits inside the in-memory filesystem the engine builds from. */
export const SOURCE_ROOT = '/source';

/** The build's `stageline.yaml` + `_kustomize/` as uploaded to builds/<service>/<commit>/source/. */
export async function loadBuildSource(store: ArtifactStore, service: string, commitSha: string): Promise<MemoryFileSystem> {
  const prefix = buildSourcePrefix(service, commitSha);
  const keys = await store.list(prefix);
  if (keys.length === 0) {
    throw new ConfigError(`no source uploaded for ${service} at ${commitSha} (expected ${prefix}stageline.yaml)`, {
      hint: 'the build stage must upload stageline.yaml and _kustomize/ (stageline deploy does)',
    });
  }
  const fs = new MemoryFileSystem();
  await Promise.all(keys.map(async (key) => fs.writeFile(`${SOURCE_ROOT}/${key.slice(prefix.length)}`, (await store.get(key))!.body)));
  return fs;
}

export async function loadOrganization(store: ArtifactStore): Promise<OrganizationConfig> {
  const object = await store.get(organizationKey);
  if (!object) {
    throw new ConfigError(`the store has no ${organizationKey}`, { hint: 'deploy the stack with an organization config, or pass --org-config locally' });
  }
  return parseOrganization(object.body, organizationKey);
}

export function loadService(fs: MemoryFileSystem): ServiceConfig {
  const path = `${SOURCE_ROOT}/stageline.yaml`;
  if (!fs.exists(path)) throw new ConfigError('the build source has no stageline.yaml', { hint: 'add stageline.yaml at the repository root' });
  return parseService(fs.readFile(path), 'stageline.yaml');
}
