import { posix } from 'node:path';
import { KustomizeError } from './errors.js';
import type { FileSystem } from './file-system.js';

/**
 * Reads files for one kustomization root with kustomize's "root only" load restriction: a
 * kustomization may read files in or below its own directory (symlinks resolved), and may
 * reach other directories only as kustomization roots of their own (`resources: [../base]`).
 */
export class Loader {
  private constructor(
    readonly fs: FileSystem,
    /** The root with symlinks resolved, as kustomize's ConfirmedDir. */
    readonly root: string,
    private readonly referrer: Loader | undefined,
  ) {}

  static atRoot(fs: FileSystem, dir: string): Loader {
    const root = confirmDirectory(fs, dir);
    return new Loader(fs, root, undefined);
  }

  /** A loader for a sub-kustomization (`resources:` or `components:` entry naming a directory). */
  child(path: string): Loader {
    if (path === '') throw new KustomizeError('new root cannot be empty');
    if (path.startsWith('/')) throw new KustomizeError(`new root '${path}' cannot be absolute`);
    if (hasAmbiguousSegment(path)) {
      throw new KustomizeError(
        `path "${path}" is ambiguous: resolves to "${posix.normalize(path)}" after normalization, which is likely not the intended target; check for YAML indentation errors in your kustomization file`,
      );
    }
    let root: string;
    try {
      root = confirmDirectory(this.fs, posix.join(this.root, path));
    } catch (error) {
      throw new KustomizeError(`must build at directory: ${(error as Error).message}`);
    }
    this.refuseCycle(root);
    return new Loader(this.fs, root, this);
  }

  /** Whether `path` (relative to the root) names a directory; no restriction applies to asking. */
  isDirectory(path: string): boolean {
    return !path.startsWith('/') && this.fs.isDirectory(posix.join(this.root, path));
  }

  /** Reads a file relative to the root, refusing anything outside it. */
  load(path: string): string {
    const file = this.confirmedFile(path);
    const text = this.fs.readFile(file);
    // Text sources put U+FFFD where the bytes are not UTF-8; kustomize (go-yaml) refuses them.
    if (text.indexOf('\uFFFD') >= 0 && this.fs.readFileBytes) {
      const problem = invalidUtf8(this.fs.readFileBytes(file));
      if (problem !== undefined) throw new KustomizeError(`MalformedYAMLError: yaml: ${problem} in File: ${path}`);
    }
    return text;
  }

  /** Like load, as bytes where the filesystem can give them (binary generator inputs). */
  loadBytes(path: string): Uint8Array | string {
    const file = this.confirmedFile(path);
    return this.fs.readFileBytes ? this.fs.readFileBytes(file) : this.fs.readFile(file);
  }

  private confirmedFile(path: string): string {
    const joined = path.startsWith('/') ? posix.normalize(path) : posix.join(this.root, path);
    const [dir, file] = cleanedAbsolute(this.fs, joined);
    if (file === '') throw new KustomizeError(`'${joined}' must resolve to a file`);
    if (!isWithin(dir, this.root)) {
      throw new KustomizeError(`security; file '${joined}' is not in or below '${this.root}'`);
    }
    return posix.join(dir, file);
  }

  private refuseCycle(candidate: string): void {
    for (let loader: Loader | undefined = this; loader; loader = loader.referrer) {
      if (isWithin(loader.root, candidate)) {
        throw new KustomizeError(`cycle detected: candidate root '${candidate}' contains visited root '${loader.root}'`);
      }
    }
  }
}

function confirmDirectory(fs: FileSystem, path: string): string {
  const [dir, file] = cleanedAbsolute(fs, path);
  if (file !== '') throw new KustomizeError(`'${path}': file is not directory`);
  return dir;
}

/** Kustomize's CleanedAbs: symlinks resolved, split into (directory, file name or ""). */
function cleanedAbsolute(fs: FileSystem, path: string): [string, string] {
  const normalized = posix.normalize(path);
  if (!fs.exists(normalized)) throw new KustomizeError(`'${normalized}' doesn't exist`);
  const real = fs.realPath(normalized);
  if (fs.isDirectory(real)) return [real, ''];
  return [posix.dirname(real), posix.basename(real)];
}

function isWithin(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

function hasAmbiguousSegment(path: string): boolean {
  return path.split('/').some((part) => part !== '' && part !== '.' && part !== '..' && part.includes('..'));
}

/** go-yaml's reader check of UTF-8 input: its message for the first bad sequence, or undefined. */
export function invalidUtf8(bytes: Uint8Array): string | undefined {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const width = lead < 0x80 ? 1 : (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf8) === 0xf0 ? 4 : 0;
    if (width === 0) return 'invalid leading UTF-8 octet';
    if (i + width > bytes.length) return 'incomplete UTF-8 octet sequence';
    let value = width === 1 ? lead : width === 2 ? lead & 0x1f : width === 3 ? lead & 0x0f : lead & 0x07;
    for (let k = 1; k < width; k++) {
      const octet = bytes[i + k]!;
      if ((octet & 0xc0) !== 0x80) return 'invalid trailing UTF-8 octet';
      value = (value << 6) | (octet & 0x3f);
    }
    if (!(width === 1 || (width === 2 && value >= 0x80) || (width === 3 && value >= 0x800) || (width === 4 && value >= 0x10000))) {
      return 'invalid length of a UTF-8 sequence';
    }
    if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) return 'invalid Unicode character';
    i += width;
  }
  return undefined;
}
