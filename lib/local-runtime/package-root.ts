import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The installed package's root (where statemachine/ and dist/ live), found by walking up from
 * this module: it runs from lib/ under tsx and vitest, and from dist/cli/ once bundled.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'stageline') return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the stageline package root');
    dir = parent;
  }
}

/** The compiled CLI the local runtime starts stack-job runners with. */
export function cliEntryPoint(): string {
  return join(packageRoot(), 'dist', 'cli', 'stageline.js');
}

export function stateMachineDefinitionPath(): string {
  return join(packageRoot(), 'statemachine', 'deployment-stage.asl.json');
}
