// Kustomize engine benchmark: prints figures, never fails on time.
//   npm run bench:kustomize
// 1. warm in-process build time per overlay of examples/hello-service;
// 2. a generated 1,000-overlay tree built whole-process (`stageline kustomize build ROOT`);
// 3. when kubectl is on PATH: a 5-overlay service, `stageline kustomize build` (one process, all
//    overlays) against `kubectl kustomize` once per overlay, with the outputs compared.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DiskFileSystem } from '../lib/adapters/local/disk-file-system.js';
import { buildKustomization, MemoryFileSystem } from '../lib/kustomize/index.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const cli = join(repoRoot, 'dist', 'cli', 'stageline.js');

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

function againstKubectl(scratch: string): void {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (kubectl.status !== 0) {
    console.log('kubectl not on PATH: skipping the comparison with kubectl kustomize');
    return;
  }
  const root = join(scratch, 'five');
  writeTree(root, 5);
  const overlays = [0, 1, 2, 3, 4].map((i) => join(root, `_kustomize/overlays/env-${i}`));
  const ours: number[] = [];
  const theirs: number[] = [];
  let identical = true;
  for (let round = 0; round < 3; round++) {
    ours.push(timeProcess(process.execPath, [cli, 'kustomize', 'build', root]).ms);
    let total = 0;
    for (const overlay of overlays) {
      const run = timeProcess('kubectl', ['kustomize', overlay]);
      total += run.ms;
      if (round === 0) {
        const mine = execFileSync(process.execPath, [cli, 'kustomize', 'build', overlay], { encoding: 'utf8' });
        identical &&= mine === run.stdout;
      }
    }
    theirs.push(total);
  }
  const version = kubectl.stdout.split('\n').find((line) => line.startsWith('Kustomize')) ?? 'kustomize';
  console.log(
    `5-overlay service: stageline kustomize build (one process) ${median(ours).toFixed(0)} ms, kubectl kustomize x5 ${median(theirs).toFixed(0)} ms ` +
      `(${version.trim()}): ratio ${(median(theirs) / median(ours)).toFixed(1)}x (goal >= 5x); outputs byte-identical: ${identical ? 'yes' : 'NO'}`,
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'stageline-bench-'));
try {
  warmInProcess();
  wholeProcess(scratch);
  againstKubectl(scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
