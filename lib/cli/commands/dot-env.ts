import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { DiskFileSystem } from '../../adapters/local/disk-file-system.js';
import { writeFilesAtomic } from '../../adapters/local/atomic-write.js';
import { isGitIgnored } from '../../adapters/local/git-ignore.js';
import { displayPath, loadOrganizationIfPresent, loadService, localProjectPaths, localReferenceSources } from '../../adapters/local/local-project.js';
import { buildKustomization } from '../../kustomize/index.js';
import { isJsonObject } from '../../kustomize/json.js';
import { buildDotEnv } from '../../pipeline/dot-env.js';
import { ManifestError } from '../../pipeline/errors.js';
import type { CliIo } from '../io.js';

/**
 * `stageline dot-env`: builds one overlay (default `local`), resolves the references of its env
 * variables and secrets from `.stageline/secrets.yaml` / `variables.yaml`, applies `--set`, and
 * writes `.env` and `.env_export` at the project root (mode 0600, atomically).
 */
export async function dotEnvCommand(
  options: { project: string; env: string; set: string[]; orgConfig?: string; secretsFile?: string; variablesFile?: string; stateDir?: string },
  io: CliIo,
): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const service = await loadService(paths, io.cwd);
  const organization = await loadOrganizationIfPresent(paths, io.cwd);
  const fs = new DiskFileSystem();
  const kustomizeDir = service.spec.kustomizeDir;
  const overlaysDir = join(paths.root, kustomizeDir, 'overlays');
  const overlayDir = join(overlaysDir, options.env);
  if (!fs.isDirectory(overlayDir)) {
    const available = fs.isDirectory(overlaysDir) ? fs.readDir(overlaysDir).filter((name) => fs.isDirectory(join(overlaysDir, name))) : [];
    throw new UsageError(`--env ${options.env}: no overlay ${kustomizeDir}/overlays/${options.env} (available: ${available.join(', ') || 'none'})`, {
      hint: available.length ? undefined : 'run `stageline kustomize init --new` to create a _kustomize/ tree with a local overlay',
    });
  }
  const source = `overlay "${options.env}" (${kustomizeDir}/overlays/${options.env})`;
  const { resources } = buildKustomization(fs, overlayDir);
  if (resources.length !== 1) throw new ManifestError(`${source}: yields ${resources.length} resources, expected exactly one`);
  const manifest = resources[0]!;
  const metadata = isJsonObject(manifest.metadata) ? manifest.metadata : {};
  const env = typeof metadata.env === 'string' ? metadata.env : options.env;
  const files = await buildDotEnv({
    manifest,
    source,
    org: organization?.metadata.name ?? service.metadata.org,
    env,
    sources: localReferenceSources(paths),
    sets: options.set,
  });

  const dotEnvPath = join(paths.root, '.env');
  const exportPath = join(paths.root, '.env_export');
  await writeFilesAtomic(
    [
      { path: dotEnvPath, content: files.dotEnv },
      { path: exportPath, content: files.envExport },
    ],
    0o600,
  );
  const count = Object.keys(files.entries).length;
  io.out(`wrote ${displayPath(io.cwd, dotEnvPath)} and ${displayPath(io.cwd, exportPath)} (${count} variable${count === 1 ? '' : 's'}, mode 0600) from ${source}`);
  for (const path of [dotEnvPath, exportPath]) {
    if (!(await isGitIgnored(path))) {
      io.err(`warning: ${displayPath(io.cwd, path)} is not git-ignored and contains secrets; add it to .gitignore`);
    }
  }
}
