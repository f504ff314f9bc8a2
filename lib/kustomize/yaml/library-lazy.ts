import { createRequire } from 'node:module';

type YamlLibrary = typeof import('yaml');
let loaded: YamlLibrary | undefined;

/**
 * The CLI's variant of library.ts: the `yaml` package loaded on first need. Most files take the
 * engine's fast path, and loading the package cost every CLI run tens of milliseconds — the CLI
 * must stay far cheaper than one `kubectl kustomize` per overlay. The CLI runs from the installed
 * package, where node_modules/yaml is always present.
 */
export function yamlLibrary(): YamlLibrary {
  return (loaded ??= createRequire(import.meta.url)('yaml') as YamlLibrary);
}
