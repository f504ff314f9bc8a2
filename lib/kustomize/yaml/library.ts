import { createRequire } from 'node:module';

type YamlLibrary = typeof import('yaml');
let loaded: YamlLibrary | undefined;

/**
 * The `yaml` package, loaded on first need. Most files take the engine's fast path, and loading
 * the package costs a CLI run tens of milliseconds — the CLI must stay far cheaper than one
 * `kubectl kustomize` per overlay.
 */
export function yamlLibrary(): YamlLibrary {
  return (loaded ??= createRequire(import.meta.url)('yaml') as YamlLibrary);
}
