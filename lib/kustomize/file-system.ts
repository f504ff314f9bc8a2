/**
 * The one way the Kustomize engine sees files. Synchronous on purpose: a build reads many small
 * files and the engine must stay well under a millisecond per overlay; sources that live
 * elsewhere (S3, a build artifact) are loaded into a MemoryFileSystem first.
 *
 * Paths are absolute POSIX paths ("/app/base/kustomization.yaml").
 */
export interface FileSystem {
  /** Contents as UTF-8 text; throws if missing or a directory. */
  readFile(path: string): string;
  /** Raw contents, where the source can tell bytes from text (generators put non-UTF-8 files in binaryData). */
  readFileBytes?(path: string): Uint8Array;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** Entry names (not paths) of a directory, sorted. */
  readDir(path: string): string[];
  /** The path with every symlink resolved; equals `path` where there are none. */
  realPath(path: string): string;
}
