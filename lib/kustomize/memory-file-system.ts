import { posix } from 'node:path';
import type { FileSystem } from './file-system.js';

/**
 * An in-memory FileSystem: tests write a tree with `new MemoryFileSystem({ 'app/kustomization.yaml': '...' })`,
 * and the Lambda loads a build's source tree from S3 into one. Directories are implied by files;
 * `symlinks` maps a link path to its target (absolute, or relative to the link's directory).
 */
export class MemoryFileSystem implements FileSystem {
  private readonly files = new Map<string, string | Uint8Array>();
  private readonly directories = new Set<string>(['/']);
  private readonly symlinks = new Map<string, string>();

  constructor(files: Record<string, string> = {}, symlinks: Record<string, string> = {}) {
    for (const [path, content] of Object.entries(files)) this.writeFile(path, content);
    for (const [link, target] of Object.entries(symlinks)) this.symlink(link, target);
  }

  writeFile(path: string, content: string | Uint8Array): void {
    const absolute = toAbsolute(path);
    this.files.set(absolute, content);
    this.addParents(absolute);
  }

  mkdir(path: string): void {
    const absolute = toAbsolute(path);
    this.directories.add(absolute);
    this.addParents(absolute);
  }

  symlink(link: string, target: string): void {
    const absolute = toAbsolute(link);
    this.symlinks.set(absolute, target.startsWith('/') ? posix.normalize(target) : posix.join(posix.dirname(absolute), target));
    this.addParents(absolute);
  }

  readFile(path: string): string {
    const content = this.readRaw(path);
    return typeof content === 'string' ? content : new TextDecoder().decode(content);
  }

  readFileBytes(path: string): Uint8Array {
    const content = this.readRaw(path);
    return typeof content === 'string' ? new TextEncoder().encode(content) : content;
  }

  private readRaw(path: string): string | Uint8Array {
    const real = this.realPath(path);
    const content = this.files.get(real);
    if (content === undefined) {
      throw new Error(this.directories.has(real) ? `${path} is a directory` : `${path}: no such file or directory`);
    }
    return content;
  }

  exists(path: string): boolean {
    const real = this.realPath(path);
    return this.files.has(real) || this.directories.has(real);
  }

  isDirectory(path: string): boolean {
    return this.directories.has(this.realPath(path));
  }

  readDir(path: string): string[] {
    const real = this.realPath(path);
    if (!this.directories.has(real)) throw new Error(`${path}: not a directory`);
    const prefix = real === '/' ? '/' : `${real}/`;
    const names = new Set<string>();
    for (const entry of [...this.files.keys(), ...this.directories, ...this.symlinks.keys()]) {
      if (entry.startsWith(prefix) && entry !== real) {
        names.add(entry.slice(prefix.length).split('/')[0]!);
      }
    }
    return [...names].sort();
  }

  realPath(path: string): string {
    let current = toAbsolute(path);
    if (this.symlinks.size === 0) return current;
    // Resolve links component by component; a bound stops link cycles.
    for (let hops = 0; hops < 64; hops++) {
      const parts = current.split('/').filter(Boolean);
      let resolved = '/';
      let changed = false;
      for (let index = 0; index < parts.length; index++) {
        const candidate = posix.join(resolved, parts[index]!);
        const target = this.symlinks.get(candidate);
        if (target !== undefined) {
          current = posix.join(target, ...parts.slice(index + 1));
          changed = true;
          break;
        }
        resolved = candidate;
      }
      if (!changed) return resolved;
    }
    throw new Error(`${path}: too many levels of symbolic links`);
  }

  private addParents(absolute: string): void {
    for (let dir = posix.dirname(absolute); !this.directories.has(dir); dir = posix.dirname(dir)) {
      this.directories.add(dir);
    }
  }
}

function toAbsolute(path: string): string {
  const normalized = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  // "dir/" names the directory "dir" (as the operating system resolves it).
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}
