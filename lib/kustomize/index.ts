export type { FileSystem } from './file-system.js';
export { MemoryFileSystem } from './memory-file-system.js';
export { KustomizeError } from './errors.js';
export type { JsonObject, JsonValue } from './json.js';
export { buildKustomization } from './build.js';
export type { BuildOptions, BuildResult, Reorder } from './build.js';
