import { MemoryFileSystem } from '../../kustomize/memory-file-system.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { ConfigError } from '../../errors.js';
import { BuildImmutableError } from '../errors.js';
import { parseOrganization, type OrganizationConfig } from '../config/organization.js';
import { parseService, type ServiceConfig } from '../config/service.js';
import { buildKey, buildSourcePrefix, organizationKey, serialize, validateBuildIdentifiers, type BuildEvent } from './records.js';

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

/**
 * What a build stage uploads (`deploy`, locally or to S3): the source subset under
 * builds/<service>/<commit>/source/, then build.json. The identifiers are validated and an
 * existing build compared before anything is written: a build is immutable (its queued and later
 * runs read that source), so the same service and commit with other files — one changed, added or
 * removed — is refused with BuildImmutableError naming the first difference. The same source again
 * (another image, branch or trigger of the same commit) only rewrites build.json, the build event.
 */
export async function publishBuild(store: ArtifactStore, build: BuildEvent, source: ReadonlyMap<string, string>): Promise<{ repeated: boolean }> {
  validateBuildIdentifiers(build, 'the build');
  const prefix = buildSourcePrefix(build.service, build.commitSha);
  const sealed = (await store.get(buildKey(build.service, build.commitSha))) !== undefined;
  if (sealed) {
    const storedPaths = (await store.list(prefix)).map((key) => key.slice(prefix.length));
    const difference =
      storedPaths.find((path) => !source.has(path)) !== undefined
        ? `${storedPaths.find((path) => !source.has(path))} is not in this one`
        : await firstChanged(store, prefix, source);
    if (difference !== undefined) throw new BuildImmutableError(build.service, build.commitSha, difference);
  } else {
    for (const [path, content] of [...source].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) await store.put(`${prefix}${path}`, content);
  }
  await store.put(buildKey(build.service, build.commitSha), serialize(build));
  return { repeated: sealed };
}

async function firstChanged(store: ArtifactStore, prefix: string, source: ReadonlyMap<string, string>): Promise<string | undefined> {
  for (const [path, content] of [...source].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const stored = await store.get(`${prefix}${path}`);
    if (stored === undefined) return `${path} is new`;
    if (stored.body !== content) return `${path} differs`;
  }
  return undefined;
}
