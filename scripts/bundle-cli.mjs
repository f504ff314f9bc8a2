// Bundles the CLI into dist/cli/ (one file per lazily-loaded command): a single-file start-up
// is tens of milliseconds cheaper than resolving hundreds of ES modules, which matters for a
// command meant to be cheaper than `kubectl kustomize` per overlay.
// `yaml` stays external: the engine loads it only for YAML its fast path does not handle.
import { build } from 'esbuild';
import { resolve } from 'node:path';

// The engine's `yaml` loader, swapped for its lazy variant (see lib/kustomize/yaml/library-lazy.ts).
const lazyYaml = {
  name: 'lazy-yaml',
  setup(context) {
    const eager = resolve('lib/kustomize/yaml/library.js');
    context.onResolve({ filter: /library\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === eager ? { path: resolve('lib/kustomize/yaml/library-lazy.ts') } : undefined,
    );
  },
};
import { chmodSync, rmSync } from 'node:fs';

rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: ['bin/stageline.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Error classes name themselves (`this.name = new.target.name`): keep the names readable.
  keepNames: true,
  external: ['yaml', '@aws-sdk/*', 'playwright-core'],
  // aws-local-stepfunctions is bundled with its AWS SDK imports stubbed: the local runtime
  // overrides every Task, and loading the SDK made each `deploy --local` a quarter second slower.
  alias: {
    '@aws-sdk/client-lambda': './lib/local-runtime/sdk-stubs/client-lambda.ts',
    '@aws-sdk/credential-providers': './lib/local-runtime/sdk-stubs/credential-providers.ts',
    'asl-validator': './lib/local-runtime/sdk-stubs/asl-validator.ts',
  },
  banner: { js: "import { createRequire as __stagelineCreateRequire } from 'node:module'; const require = __stagelineCreateRequire(import.meta.url);" },
  plugins: [lazyYaml],
  logLevel: 'warning',
});
chmodSync('dist/cli/stageline.js', 0o755);
