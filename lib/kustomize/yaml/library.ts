import * as yaml from 'yaml';

type YamlLibrary = typeof import('yaml');

/**
 * The `yaml` package, for what the engine's fast path does not handle. A static import, so that
 * every bundle (the Lambdas) carries it; the CLI bundle swaps this module for library-lazy.ts,
 * which loads the package only on first need (see scripts/bundle-cli.mjs).
 */
export function yamlLibrary(): YamlLibrary {
  return yaml;
}
