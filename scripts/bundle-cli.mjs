// Bundles the CLI into dist/cli/:
// - stageline.js, a small CommonJS launcher (dist/cli/package.json says "commonjs"). For
//   `stageline kustomize build …` it loads kustomize-build.cjs, one CommonJS file holding the
//   command and the engine and nothing else (no commander, no ES-module loader), through V8's code
//   cache; it falls back to the full CLI for anything that path does not parse (--help, a bad
//   flag). Every other command imports main.mjs.
// - main.mjs and its chunks: the full CLI as ES modules, one chunk per lazily-loaded command.
// A single-file start-up is tens of milliseconds cheaper than resolving hundreds of ES modules,
// which matters for a command meant to be cheaper than `kubectl kustomize` per overlay.
// `yaml` stays external: the engine loads it only for YAML its fast path does not handle.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  // Error classes name themselves (`this.name = new.target.name`): keep the names readable.
  keepNames: true,
  external: ['yaml', '@aws-sdk/*', 'playwright-core'],
  plugins: [lazyYaml],
  logLevel: 'warning',
};

rmSync('dist/cli', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: [{ in: 'bin/stageline.ts', out: 'main' }],
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  format: 'esm',
  // aws-local-stepfunctions is bundled with its AWS SDK imports stubbed: the local runtime
  // overrides every Task, and loading the SDK made each `deploy --local` a quarter second slower.
  alias: {
    '@aws-sdk/client-lambda': './lib/local-runtime/sdk-stubs/client-lambda.ts',
    '@aws-sdk/credential-providers': './lib/local-runtime/sdk-stubs/credential-providers.ts',
    'asl-validator': './lib/local-runtime/sdk-stubs/asl-validator.ts',
  },
  banner: { js: "import { createRequire as __stagelineCreateRequire } from 'node:module'; const require = __stagelineCreateRequire(import.meta.url);" },
});

// Built-in modules the `kustomize build` path needs only now and then, loaded on first use:
// node:crypto (configMap/secret name hashes) costs ~4 ms of start-up when required up front.
const lazyBuiltins = {
  'node:crypto': ['createHash'],
};
const lazyBuiltinsPlugin = {
  name: 'lazy-builtins',
  setup(context) {
    context.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace !== 'lazy-builtin' && lazyBuiltins[args.path] ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    context.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      loader: 'js',
      contents:
        `let loaded; const load = () => (loaded ??= require(${JSON.stringify(args.path)}));\n` +
        lazyBuiltins[args.path].map((name) => `export function ${name}(...args) { return load().${name}(...args); }\n`).join(''),
    }));
  },
};

// The `kustomize build` path as one CommonJS file. Its one use of import.meta.url is
// createRequire(import.meta.url), which takes a file path as well.
await build({
  ...common,
  entryPoints: ['lib/cli/commands/kustomize-build.ts'],
  outfile: 'dist/cli/kustomize-build.cjs',
  format: 'cjs',
  define: { 'import.meta.url': '__filename' },
  plugins: [...common.plugins, lazyBuiltinsPlugin],
});
if (/(?<!\?\?=)require\("node:crypto"\)/.test(readFileSync('dist/cli/kustomize-build.cjs', 'utf8'))) {
  throw new Error('kustomize-build.cjs requires node:crypto eagerly');
}
const fastHash = createHash('sha256').update(readFileSync('dist/cli/kustomize-build.cjs')).digest('hex').slice(0, 16);

writeFileSync('dist/cli/package.json', '{ "type": "commonjs" }\n');

// V8's code cache for kustomize-build.cjs: the bytecode of every function the last uncached run
// compiled, so a build skips most parsing and compiling. Keyed by the bundle's digest, the Node
// version and the flags (V8 rejects a cache made under other flags); STAGELINE_CODE_CACHE=0 turns
// it off. The bundle script seeds it; a missing or rejected cache is rewritten (atomically) at exit,
// and a read-only install simply runs without one. (Shared by the launcher and the worker.)
const loadFastPath = `function loadFastPath() {
  const fs = require('node:fs');
  const path = require('node:path');
  const file = path.join(__dirname, 'kustomize-build.cjs');
  if (process.env.STAGELINE_CODE_CACHE === '0') return require(file);
  const vm = require('node:vm');
  let key = 0;
  for (const char of ${JSON.stringify(fastHash)} + process.version + process.arch + process.execArgv.join(' ') + (process.env.NODE_OPTIONS || '')) key = (Math.imul(key, 31) + char.charCodeAt(0)) | 0;
  const cacheFile = path.join(__dirname, '.code-cache', 'kustomize-build-' + (key >>> 0).toString(16) + '.bin');
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {}
  const script = new vm.Script(require('node:module').wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        const temporary = cacheFile + '.' + process.pid + '.' + require('node:worker_threads').threadId + '.tmp';
        fs.writeFileSync(temporary, script.createCachedData());
        fs.renameSync(temporary, cacheFile);
      } catch {}
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, file, __dirname);
  return module.exports;
}
`;

// Many directories in one process allocate hundreds of megabytes: with V8's default young
// generation (16 MB semi-spaces) scavenges took half the time of the real-world corpus. A worker
// thread is the one place a running process can choose its heap (resourceLimits); it costs a few
// milliseconds, so only builds of WORKER_MIN_DIRS directories or more use it.
const WORKER_MIN_DIRS = 8;
const YOUNG_GENERATION_MB = 384; // semi-spaces of 128 MB

writeFileSync(
  'dist/cli/kustomize-build-worker.cjs',
  `'use strict';
// Generated by scripts/bundle-cli.mjs: \`kustomize build\` of many directories, in a worker thread
// with a large young generation (see stageline.js). Posts the exit code, or 'full' for the full CLI.
const { parentPort, workerData } = require('node:worker_threads');
loadFastPath()
  .runKustomizeBuildFast(workerData)
  .then((code) => parentPort.postMessage(code === undefined ? 'full' : code));

${loadFastPath}`,
);

writeFileSync(
  'dist/cli/stageline.js',
  `#!/usr/bin/env node
'use strict';
// Generated by scripts/bundle-cli.mjs: the CLI's launcher. \`kustomize build\` runs from
// kustomize-build.cjs (no commander, no ES-module loader, compiled code from V8's code cache),
// builds of ${WORKER_MIN_DIRS} directories or more in a worker with a ${YOUNG_GENERATION_MB} MB young generation;
// anything it does not take, and every other command, runs the full CLI in main.mjs.
const args = process.argv.slice(2);
const fail = (error) => {
  process.stderr.write('internal error: ' + (error && error.stack || error) + '\\n');
  process.exitCode = 2;
};
const full = () => import('./main.mjs').catch(fail);
const done = (code) => (code === undefined || code === 'full' ? full() : (process.exitCode = code));
if (args[0] === 'kustomize' && args[1] === 'build') {
  const rest = args.slice(2);
  if (rest.filter((arg) => !arg.startsWith('-')).length >= ${WORKER_MIN_DIRS}) {
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(require('node:path').join(__dirname, 'kustomize-build-worker.cjs'), {
      workerData: rest,
      resourceLimits: { maxYoungGenerationSizeMb: ${YOUNG_GENERATION_MB} },
    });
    worker.once('message', done);
    worker.once('error', fail);
  } else {
    let fast;
    try {
      fast = loadFastPath();
    } catch (error) {
      fail(error);
    }
    if (fast) fast.runKustomizeBuildFast(rest).then(done, fail);
  }
} else full();

${loadFastPath}`,
);
chmodSync('dist/cli/stageline.js', 0o755);

// Seed the code cache with a build of the example's overlays (its functions are the hot ones).
const overlays = join('examples', 'hello-service', '_kustomize', 'overlays');
const seed = spawnSync(process.execPath, ['dist/cli/stageline.js', 'kustomize', 'build', ...readdirSync(overlays).map((name) => join(overlays, name))], {
  encoding: 'utf8',
  stdio: ['ignore', 'ignore', 'pipe'],
});
if (seed.status !== 0) throw new Error(`seeding the code cache failed: ${seed.stderr}`);
