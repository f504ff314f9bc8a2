import { posix } from 'node:path';
import type { FileSystem } from './file-system.js';

/** The names kustomize accepts for a kustomization file, in its order of preference. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** The kustomization file of `dir`, or undefined. Several is an error the loader reports. */
export function findKustomizationFile(fs: FileSystem, dir: string): string | undefined {
  return kustomizationFilesIn(fs, dir)[0];
}

export function kustomizationFilesIn(fs: FileSystem, dir: string): string[] {
  if (!fs.isDirectory(dir)) return [];
  const entries = new Set(fs.readDir(dir));
  return KUSTOMIZATION_FILE_NAMES.filter((name) => entries.has(name)).map((name) => posix.join(dir, name));
}
