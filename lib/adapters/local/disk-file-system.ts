import { readFileSync, existsSync, statSync, readdirSync, realpathSync } from 'node:fs';
import type { FileSystem } from '../../kustomize/file-system.js';

/** The Kustomize engine's FileSystem port over the real disk (CLI, local runtime). */
export class DiskFileSystem implements FileSystem {
  readFile(path: string): string {
    return readFileSync(path, 'utf8');
  }

  readFileBytes(path: string): Uint8Array {
    return readFileSync(path);
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  isDirectory(path: string): boolean {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  readDir(path: string): string[] {
    return readdirSync(path).sort();
  }

  realPath(path: string): string {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  }
}
