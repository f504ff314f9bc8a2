// Lambda bundle benchmark: prints figures, never fails on time.
//   npx tsx bench/lambda.ts            (or: node dist/bench/lambda.js after `npm run build`)
// 1. bundles every functions/<name>/index.ts exactly as CDK's NodejsFunction does (esbuild: ESM,
//    target node22, minify, the SDK clients but S3 external, as lib/infra/functions.ts bundles them), plus a
//    hello-world handler bundled the same way;
// 2. for each bundle, in a fresh `node` process: the bundle's import (module init, adapters built
//    at module scope) and its first invocation with a small event. The adapters point at a closed
//    local port (AWS_ENDPOINT_URL, one attempt), so the first call fails fast where it would reach
//    AWS: the figure is init + first call up to the first AWS request, never a network wait;
// 3. prints bundle size, median whole-process time, its ratio to the hello-world, and the goals
//    (≤ 300 KB per bundle, ≤ 1.5× the hello-world).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_EXTERNAL_MODULES } from '../lib/infra/functions.js';

const SIZE_GOAL_KB = 300;
const RATIO_GOAL = 1.5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'stageline') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the stageline package root');
    dir = parent;
  }
}

const root = repoRoot();

/** What each entry reads from its environment (stub values) and a small event for its first call. */
const build0 = { org: 'acme', service: 'hello-service', commitSha: 'abcdef1234567', branch: 'main', image: 'registry.example/hello:1', triggeredBy: 'dev@acme.io' };
const task0 = { index: 0, overlay: 'dev', env: 'app-dev', kind: 'KubernetesDeployment', name: 'hello', digest: 'a'.repeat(64), manifestKey: `runs/r1/manifests/${'a'.repeat(64)}.yaml`, gated: true, approvalTimeoutSeconds: 3600, stackJobTimeoutSeconds: 3600 };
const FUNCTIONS: Record<string, { env: Record<string, string>; event: unknown }> = {
  'start-pipeline': { env: { BUCKET_NAME: 'bench', STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:bench' }, event: { source: 'stageline.build', 'detail-type': 'Build Completed', detail: build0 } },
  'resolve-manifests': { env: { BUCKET_NAME: 'bench' }, event: { runId: 'r1', build: build0 } },
  'create-deployment-tasks': { env: { BUCKET_NAME: 'bench' }, event: { runId: 'r1', build: build0, manifests: [], skipped: [] } },
  'request-approval': {
    env: { BUCKET_NAME: 'bench', APPROVAL_URL: 'https://bench.lambda-url.us-east-1.on.aws', APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:bench', TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:bench' },
    event: { runId: 'r1', task: task0, taskToken: 'token' },
  },
  'launch-stack-job': { env: { BUCKET_NAME: 'bench', STACK_JOB_PROJECT: 'bench' }, event: { runId: 'r1', task: task0, taskToken: 'token' } },
  'cancel-remaining': { env: { BUCKET_NAME: 'bench' }, event: { runId: 'r1', failure: { Error: 'States.Timeout', Cause: 'x' } } },
  'record-success': { env: { BUCKET_NAME: 'bench' }, event: { runId: 'r1' } },
  'stack-job-watcher': {
    env: { BUCKET_NAME: 'bench' },
    event: {
      source: 'aws.codebuild',
      'detail-type': 'CodeBuild Build State Change',
      detail: {
        'build-status': 'FAILED',
        'build-id': 'bench:1',
        'additional-information': { environment: { 'environment-variables': [{ name: 'STAGELINE_JOB_KEY', value: 'runs/r1/jobs/0.json', type: 'PLAINTEXT' }] } },
      },
    },
  },
  approval: {
    env: { BUCKET_NAME: 'bench', APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:bench' },
    event: { rawPath: '/a/abc', rawQueryString: 'approver=ops%40acme.io&exp=1&sig=k1.x', headers: {}, requestContext: { http: { method: 'GET', path: '/a/abc' } } },
  },
};

/**
 * The `require` shim an ESM bundle needs: `yaml` resolves to its CommonJS build under the `node`
 * condition and calls `require('process')`, which an ES module cannot do ("Dynamic require of
 * "process" is not supported" at init). The CDK stack must set the same banner on every
 * NodejsFunction (`bundling.banner`), as scripts/bundle-cli.mjs does for the CLI.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire as __stagelineCreateRequire } from 'node:module'; const require = __stagelineCreateRequire(import.meta.url);";

/** A what-if: every module under lib/ and functions/ marked side-effect free (package.json `sideEffects`). */
const sideEffectFreeLib = {
  name: 'side-effect-free-lib',
  setup(pluginBuild: { onResolve: Function; resolve: Function }) {
    pluginBuild.onResolve({ filter: /^\.\.?\// }, async (args: { path: string; kind: string; resolveDir: string; pluginData?: { inner?: boolean } }) => {
      if (args.pluginData?.inner) return undefined;
      const result = await pluginBuild.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { inner: true } });
      const own = !result.path.includes('node_modules') && (result.path.startsWith(join(root, 'lib')) || result.path.startsWith(join(root, 'functions')));
      return own && !/polyfills/.test(result.path) ? { ...result, sideEffects: false } : result;
    });
  },
};

/** CDK NodejsFunction's esbuild settings for OutputFormat.ESM (see TOOLCHAIN.md), plus the require banner. */
async function bundle(entry: string, outfile: string, whatIf = false): Promise<void> {
  await build({
    banner: { js: ESM_REQUIRE_BANNER },
    ...(whatIf ? { plugins: [sideEffectFreeLib as never] } : {}),
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    keepNames: true,
    mainFields: ['module', 'main'],
    // As the stack bundles them (lib/infra/functions.ts): client-s3 inside, the other clients from the runtime.
    external: [...LAMBDA_EXTERNAL_MODULES],
    logLevel: 'error',
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A port nothing listens on: AWS calls are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Sample {
  wallMs: number;
  importMs: number;
  invokeMs: number;
  outcome: string;
}

/** One fresh process: import the bundle, call its handler once, report the timings. */
function measure(file: string, env: Record<string, string>, event: unknown, endpoint: string): Sample {
  const script = `
    const t0 = performance.now();
    const m = await import(${JSON.stringify(pathToFileURL(file).href)});
    const t1 = performance.now();
    let outcome = 'ok';
    try { const r = await m.handler(${JSON.stringify(event)}); if (r && r.statusCode) outcome = 'http ' + r.statusCode; }
    catch (e) { outcome = 'error ' + (e && (e.code || e.name) || 'unknown'); }
    const t2 = performance.now();
    process.stdout.write('\\n@@bench ' + JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, outcome }) + '\\n');
  `;
  const start = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'BENCH',
      AWS_SECRET_ACCESS_KEY: 'BENCH',
      AWS_ENDPOINT_URL: endpoint,
      AWS_MAX_ATTEMPTS: '1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
  });
  const wallMs = performance.now() - start;
  // The handler may log to stdout too: the figures are on their own marked line.
  const line = (result.stdout ?? '').split('\n').find((candidate) => candidate.startsWith('@@bench '));
  if (line) {
    return { wallMs, ...(JSON.parse(line.slice('@@bench '.length)) as Omit<Sample, 'wallMs'>) };
  } else {
    const message = /\b[A-Za-z]*Error(?: \[\w+\])?: [^\n]{0,100}/.exec(result.stderr ?? '')?.[0] ?? `exit ${result.status}`;
    return { wallMs, importMs: NaN, invokeMs: NaN, outcome: `init failed: ${message}` };
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'stageline-bench-lambda-'));
  try {
    // The bundles import the AWS SDK at run time, as on Lambda (where the runtime provides it).
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    writeFileSync(join(work, 'package.json'), '{"type":"module"}\n');
    const helloEntry = join(work, 'hello-world.ts');
    writeFileSync(helloEntry, "export const handler = async () => ({ statusCode: 200, body: 'hello world' });\n");
    // A second baseline: the same hello-world with one S3 client at module scope (what every
    // Stageline function carries at least), to tell the SDK's load time from Stageline's own.
    const helloS3Entry = join(work, 'hello-s3.ts');
    writeFileSync(helloS3Entry, "import { S3Client } from '@aws-sdk/client-s3';\nconst s3 = new S3Client({});\nexport const handler = async () => ({ statusCode: 200, body: String(typeof s3.send) });\n");

    const names = readdirSync(join(root, 'functions')).filter((name) => existsSync(join(root, 'functions', name, 'index.ts'))).sort();
    const bundles: { name: string; file: string; whatIfKb: number; env: Record<string, string>; event: unknown }[] = [];
    const helloFile = join(work, 'hello-world', 'index.mjs');
    await bundle(helloEntry, helloFile);
    const helloS3File = join(work, 'hello-s3', 'index.mjs');
    await bundle(helloS3Entry, helloS3File);
    for (const name of names) {
      const file = join(work, name, 'index.mjs');
      mkdirSync(dirname(file), { recursive: true });
      await bundle(join(root, 'functions', name, 'index.ts'), file);
      const whatIfFile = join(work, 'what-if', name, 'index.mjs');
      await bundle(join(root, 'functions', name, 'index.ts'), whatIfFile, true);
      const spec = FUNCTIONS[name] ?? { env: {}, event: {} };
      bundles.push({ name, file, whatIfKb: statSync(whatIfFile).size / 1024, ...spec });
    }

    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const all = [
      { name: 'hello-world', file: helloFile, whatIfKb: NaN, env: {}, event: {} },
      { name: 'hello-world + S3Client', file: helloS3File, whatIfKb: NaN, env: {}, event: {} },
      ...bundles,
    ];
    const baselines = new Set(['hello-world', 'hello-world + S3Client']);
    // Warm the OS file cache once per bundle, then interleave rounds so drift hits every bundle alike.
    for (const item of all) measure(item.file, item.env, item.event, endpoint);
    const samples = new Map<string, Sample[]>(all.map((item) => [item.name, []]));
    for (let round = 0; round < ROUNDS; round++) for (const item of all) samples.get(item.name)!.push(measure(item.file, item.env, item.event, endpoint));

    const hello = median(samples.get('hello-world')!.map((sample) => sample.wallMs));
    const helloS3 = median(samples.get('hello-world + S3Client')!.map((sample) => sample.wallMs));
    console.log(`Lambda bundles (esbuild ESM, node22, minified, client-s3 bundled, other SDK clients external); ${ROUNDS} fresh processes each, medians; node ${process.version}`);
    console.log('');
    const header = ['function', 'size', 'process', 'ratio', 'vs +S3', 'import', '1st call', 'first call ended', 'goals', 'size if lib/ side-effect free'];
    const rows: string[][] = [];
    let over = 0;
    for (const item of all) {
      const list = samples.get(item.name)!;
      const sizeKb = statSync(item.file).size / 1024;
      const wall = median(list.map((sample) => sample.wallMs));
      const ratio = wall / hello;
      const goals = baselines.has(item.name) ? 'baseline' : [sizeKb <= SIZE_GOAL_KB ? 'size ok' : `size > ${SIZE_GOAL_KB} KB`, ratio <= RATIO_GOAL ? 'time ok' : `time > ${RATIO_GOAL}×`].join(', ');
      if (!baselines.has(item.name) && (sizeKb > SIZE_GOAL_KB || ratio > RATIO_GOAL)) over++;
      rows.push([
        item.name,
        `${sizeKb.toFixed(1)} KB`,
        `${wall.toFixed(0)} ms`,
        `${ratio.toFixed(2)}×`,
        `${(wall / helloS3).toFixed(2)}×`,
        `${median(list.map((sample) => sample.importMs)).toFixed(1)} ms`,
        `${median(list.map((sample) => sample.invokeMs)).toFixed(1)} ms`,
        list[list.length - 1]!.outcome,
        goals,
        Number.isNaN(item.whatIfKb) ? '' : `${item.whatIfKb.toFixed(1)} KB`,
      ]);
    }
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
    console.log('');
    console.log(`process = spawn to exit of \`node -e\` importing the bundle and calling its handler once (hello-world: ${hello.toFixed(0)} ms).`);
    console.log(`vs +S3 = the ratio to the hello-world that also loads @aws-sdk/client-s3 (${helloS3.toFixed(0)} ms): Stageline's own share.`);
    console.log('last column: a what-if, the same bundle if package.json declared lib/ and functions/ free of side effects (not what CDK builds today).');
    console.log(`import / 1st call = inside that process. Goals: ≤ ${SIZE_GOAL_KB} KB per bundle, ≤ ${RATIO_GOAL}× the hello-world; ${over} function(s) over a goal.`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
