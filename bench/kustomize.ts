// Kustomize engine benchmark: prints figures, never fails on time.
//   npm run build && node dist/bench/kustomize.js [--realworld DIR] [--kubectl PATH] [--rounds N] [--only LIST]
// 1. warm in-process build time per overlay of examples/hello-service;
// 2. a generated 1,000-overlay tree built whole-process (`stageline kustomize build ROOT`);
// 3. a 5-overlay service, `stageline kustomize build` (one process, all overlays) against
//    `kubectl kustomize` once per overlay, with the outputs compared;
// 4. start-up: `node -e 0`, and one small directory with each tool;
// 5. the real-world corpus (../shared/realworld, extracted to a temporary directory): one
//    `stageline kustomize build DIR` per directory against one `kubectl kustomize DIR` per
//    directory, run alternately dir by dir: total, median directory, heaviest 10 %;
// 6. the same corpus in ONE process (`stageline kustomize build --json DIR…`) against kubectl per dir.
// kubectl is the peer when present (kubectl.1.33, i.e. kustomize v5.6, the corpus's oracle, else
// kubectl); without it the comparisons are skipped. --only takes a comma-separated subset of
// warm,thousand,five,startup,corpus,one-process (default: all but one-process, which corpus includes); --rounds repeats the corpus figures (median per dir).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DiskFileSystem } from '../lib/adapters/local/disk-file-system.js';
import { buildKustomization, MemoryFileSystem } from '../lib/kustomize/index.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}
const cli = resolve(flag('cli') ?? join(repoRoot, 'dist', 'cli', 'stageline.js'));
const realworldDir = resolve(repoRoot, flag('realworld') ?? join('..', 'shared', 'realworld'));
const rounds = Math.max(1, Number(flag('rounds') ?? 1));
const only = new Set((flag('only') ?? 'warm,thousand,five,startup,corpus').split(','));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function warmInProcess(): void {
  const disk = new DiskFileSystem();
  const overlaysDir = join(repoRoot, 'examples', 'hello-service', '_kustomize', 'overlays');
  const overlays = disk.readDir(overlaysDir);
  // Load the tree into memory once so the figure is the engine, not the disk.
  const memory = new MemoryFileSystem();
  const copy = (dir: string) => {
    for (const entry of disk.readDir(dir)) {
      const path = join(dir, entry);
      if (disk.isDirectory(path)) copy(path);
      else memory.writeFile(path, disk.readFile(path));
    }
  };
  copy(join(repoRoot, 'examples', 'hello-service', '_kustomize'));
  for (let i = 0; i < 200; i++) for (const overlay of overlays) buildKustomization(memory, join(overlaysDir, overlay));
  const samples: number[] = [];
  for (let round = 0; round < 20; round++) {
    const start = performance.now();
    for (let i = 0; i < 50; i++) for (const overlay of overlays) buildKustomization(memory, join(overlaysDir, overlay));
    samples.push((performance.now() - start) / (50 * overlays.length));
  }
  console.log(`warm in-process build, examples/hello-service (${overlays.length} overlays): ${median(samples).toFixed(3)} ms per overlay (median of 20 rounds; goal <= 1 ms)`);
}

function writeTree(root: string, overlayCount: number): void {
  const write = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  write(join(root, '_kustomize/base/kustomization.yaml'), 'resources:\n- deployment.yaml\n- service.yaml\ncommonLabels:\n  app: bench\n');
  write(
    join(root, '_kustomize/base/deployment.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bench\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/bench:1.0.0\n        resources:\n          limits:\n            cpu: 250m\n',
  );
  write(join(root, '_kustomize/base/service.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bench\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n');
  for (let i = 0; i < overlayCount; i++) {
    const dir = join(root, `_kustomize/overlays/env-${i}`);
    write(join(dir, 'kustomization.yaml'), `resources:\n- ../../base\nnamePrefix: env-${i}-\nnamespace: ns-${i}\npatches:\n- path: patch.yaml\nimages:\n- name: registry.example.com/bench\n  newTag: "${i}.0.0"\n`);
    write(join(dir, 'patch.yaml'), `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bench\nspec:\n  replicas: ${(i % 5) + 1}\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: INDEX\n          value: "${i}"\n`);
  }
}

function timeProcess(command: string, args: string[]): { ms: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

function wholeProcess(scratch: string): void {
  const root = join(scratch, 'thousand');
  writeTree(root, 1000);
  const runs = [0, 1, 2].map(() => timeProcess(process.execPath, [cli, 'kustomize', 'build', root]).ms);
  console.log(`whole-process build of a generated 1,000-overlay tree: ${(median(runs) / 1000).toFixed(2)} s (median of 3; goal <= 2 s)`);
}

/** The peer: --kubectl, else kubectl.1.33 (kustomize v5.6, as the corpus's oracle), else kubectl. */
function findKubectl(): { path: string; version: string } | undefined {
  const candidates = flag('kubectl') ? [flag('kubectl')!] : ['kubectl.1.33', '/usr/lib/google-cloud-sdk/bin/kubectl.1.33', 'kubectl'];
  for (const path of candidates) {
    const run = spawnSync(path, ['version', '--client'], { encoding: 'utf8' });
    if (run.status === 0) {
      const version = run.stdout.split('\n').find((line) => line.startsWith('Kustomize'))?.trim() ?? 'kustomize';
      return { path, version: `${path}, ${version}` };
    }
  }
  return undefined;
}
const kubectl = findKubectl();

function againstKubectl(scratch: string): void {
  if (!kubectl) {
    console.log('kubectl not found: skipping the comparison with kubectl kustomize');
    return;
  }
  const root = join(scratch, 'five');
  writeTree(root, 5);
  const overlays = [0, 1, 2, 3, 4].map((i) => join(root, `_kustomize/overlays/env-${i}`));
  const ours: number[] = [];
  const theirs: number[] = [];
  let identical = true;
  for (let round = 0; round < 5; round++) {
    ours.push(timeProcess(process.execPath, [cli, 'kustomize', 'build', root]).ms);
    let total = 0;
    for (const overlay of overlays) {
      const run = timeProcess(kubectl.path, ['kustomize', overlay]);
      total += run.ms;
      if (round === 0) {
        const mine = execFileSync(process.execPath, [cli, 'kustomize', 'build', overlay], { encoding: 'utf8' });
        identical &&= mine === run.stdout;
      }
    }
    theirs.push(total);
  }
  console.log(
    `5-overlay service: stageline kustomize build (one process) ${median(ours).toFixed(0)} ms, kubectl kustomize x5 ${median(theirs).toFixed(0)} ms ` +
      `(${kubectl.version}): ${(median(theirs) / median(ours)).toFixed(1)}x faster (goal >= 8x); outputs byte-identical: ${identical ? 'yes' : 'NO'}`,
  );
}

/** Wall time of one process; stdout as bytes (the corpus compares sha256 of exact bytes). */
function timeRaw(command: string, args: string[], cwd?: string): { ms: number; ok: boolean; stdout: Buffer } {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd, maxBuffer: 1024 * 1024 * 1024 });
  return { ms: performance.now() - start, ok: result.status === 0, stdout: result.stdout };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const ratio = (theirs: number, ours: number) => (theirs >= ours ? `${(theirs / ours).toFixed(2)}x faster` : `${(ours / theirs).toFixed(2)}x SLOWER`);

function startup(): void {
  const small = join(repoRoot, 'examples', 'hello-service', '_kustomize', 'overlays', 'dev');
  const samples = { node: [] as number[], ours: [] as number[], theirs: [] as number[] };
  for (let round = 0; round < 21; round++) {
    samples.node.push(timeRaw(process.execPath, ['-e', '0']).ms);
    samples.ours.push(timeRaw(process.execPath, [cli, 'kustomize', 'build', small]).ms);
    if (kubectl) samples.theirs.push(timeRaw(kubectl.path, ['kustomize', small]).ms);
  }
  const node = median(samples.node);
  const ours = median(samples.ours);
  console.log(
    `start-up (median of 21): node -e 0 ${seconds(node)}; small dir (examples/hello-service overlays/dev) stageline ${seconds(ours)} ` +
      `= ${(ours / node).toFixed(2)}x node -e 0 (goal <= 1.2x)` +
      (kubectl ? `, kubectl kustomize ${seconds(median(samples.theirs))} (stageline ${ratio(median(samples.theirs), ours)})` : ''),
  );
}

interface Corpus {
  root: string;
  dirs: string[];
  expected: Map<string, string>;
}

/** The real-world corpus, extracted from its tarball into scratch (never copied into the project). */
function extractCorpus(scratch: string): Corpus | undefined {
  const tarball = join(realworldDir, 'realworld.tar.gz');
  if (!existsSync(tarball)) {
    console.log(`real-world corpus not found at ${tarball} (--realworld DIR): skipping the corpus figures`);
    return undefined;
  }
  execFileSync('tar', ['-xzf', tarball, '-C', scratch]);
  const root = join(scratch, 'realworld');
  const dirs = readFileSync(join(root, 'dirs.txt'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  const expected = new Map<string, string>();
  for (const line of readFileSync(join(root, 'expected.sha256'), 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match) expected.set(match[2]!, match[1]!);
  }
  return { root, dirs, expected };
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function corpusFigures(corpus: Corpus): number | undefined {
  const { root, dirs, expected } = corpus;
  const ours = dirs.map(() => [] as number[]);
  const theirs = dirs.map(() => [] as number[]);
  const outputBytes = dirs.map(() => 0);
  let identical = 0;
  let kubectlIdentical = 0;
  for (let round = 0; round < rounds; round++) {
    dirs.forEach((dir, i) => {
      const mine = timeRaw(process.execPath, [cli, 'kustomize', 'build', dir], root);
      ours[i]!.push(mine.ms);
      if (round === 0 && mine.ok && sha256(mine.stdout) === expected.get(dir)) identical++;
      if (!kubectl) return;
      const peer = timeRaw(kubectl.path, ['kustomize', dir], root);
      theirs[i]!.push(peer.ms);
      if (round === 0) {
        outputBytes[i] = peer.stdout.length;
        if (peer.ok && sha256(peer.stdout) === expected.get(dir)) kubectlIdentical++;
      }
    });
  }
  const oursPerDir = ours.map(median);
  console.log(
    `real-world corpus, ${dirs.length} dirs, one process per dir (${rounds} round(s), median per dir); stageline byte-identical to kustomize v5.6: ${identical}/${dirs.length}` +
      (kubectl ? `, ${kubectl.path}: ${kubectlIdentical}/${dirs.length}` : ''),
  );
  if (!kubectl) {
    console.log(`  stageline: total ${seconds(sum(oursPerDir))}, median dir ${seconds(median(oursPerDir))} (kubectl not found: no comparison)`);
  } else {
    const theirsPerDir = theirs.map(median);
    // The heaviest 10 %: the dirs with the largest output.
    const heavy = dirs.map((_, i) => i).sort((a, b) => outputBytes[b]! - outputBytes[a]!).slice(0, Math.ceil(dirs.length / 10));
    const heavyOurs = sum(heavy.map((i) => oursPerDir[i]!));
    const heavyTheirs = sum(heavy.map((i) => theirsPerDir[i]!));
    console.log(`  total:        stageline ${seconds(sum(oursPerDir))}, kubectl ${seconds(sum(theirsPerDir))}: ${ratio(sum(theirsPerDir), sum(oursPerDir))} (goal: at least as fast)`);
    console.log(`  median dir:   stageline ${seconds(median(oursPerDir))}, kubectl ${seconds(median(theirsPerDir))}: ${ratio(median(theirsPerDir), median(oursPerDir))}`);
    console.log(
      `  heaviest 10 % (${heavy.length} dirs with the largest output, >= ${(outputBytes[heavy.at(-1)!]! / 1024).toFixed(0)} KiB): ` +
        `stageline ${seconds(heavyOurs)}, kubectl ${seconds(heavyTheirs)}: ${ratio(heavyTheirs, heavyOurs)} (goal >= 2x)`,
    );
  }

  return kubectl ? sum(theirs.map(median)) : undefined;
}

/**
 * The whole corpus in one process, its JSON lines hashed as they stream in (the output is about
 * a gigabyte: more than one string can hold). kubectlTotal is the per-dir figure of the same run.
 */
async function corpusInOneProcess(corpus: Corpus, kubectlTotal: number | undefined): Promise<void> {
  const { root, dirs, expected } = corpus;
  const once: number[] = [];
  let identical = 0;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    const child = spawn(process.execPath, [cli, 'kustomize', 'build', '--json', ...dirs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending: Buffer[] = [];
    let stderr = '';
    let matched = 0;
    const line = (bytes: Buffer) => {
      const entry = JSON.parse(bytes.toString('utf8')) as { dir: string; output?: string };
      if (entry.output !== undefined && sha256(entry.output) === expected.get(entry.dir)) matched++;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      let from = 0;
      for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, from)) {
        pending.push(chunk.subarray(from, newline));
        line(Buffer.concat(pending));
        pending = [];
        from = newline + 1;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    once.push(performance.now() - start);
    if (code !== 0 && matched === 0) {
      console.log(`real-world corpus in ONE process: ${cli} failed (${stderr.split('\n')[0]})`);
      return;
    }
    if (round === 0) identical = matched;
  }
  const oneProcess = median(once);
  console.log(
    `real-world corpus in ONE process (stageline kustomize build --json DIR x${dirs.length}, output hashed as it streams, median of 3): ${seconds(oneProcess)}, byte-identical ${identical}/${dirs.length}` +
      (kubectlTotal !== undefined ? `; kubectl kustomize once per dir (same run) ${seconds(kubectlTotal)}: ${ratio(kubectlTotal, oneProcess)} (goal >= 20x)` : ''),
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'stageline-bench-'));
try {
  console.log(`stageline: ${cli}; peer: ${kubectl?.version ?? 'none'}; node ${process.version}`);
  if (only.has('warm')) warmInProcess();
  if (only.has('thousand')) wholeProcess(scratch);
  if (only.has('five')) againstKubectl(scratch);
  if (only.has('startup')) startup();
  if (only.has('corpus') || only.has('one-process')) {
    const corpus = extractCorpus(scratch);
    // --only one-process skips the per-dir figures (and so the kubectl total).
    if (corpus) await corpusInOneProcess(corpus, only.has('corpus') ? corpusFigures(corpus) : undefined);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
