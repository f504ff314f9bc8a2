// Workflow benchmark: prints figures, never fails on time.   npm run build && node dist/bench/workflow.js
// 1. state transitions and execution-history events per ungated environment, for 3 and 100
//    environments (statemachine/deployment-stage.asl.json run by the local runtime);
// 2. whole-process time of `stageline deploy --local --approve` on examples/hello-service.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deployLocally } from '../lib/local-runtime/local-deploy.js';
import { cliEntryPoint } from '../lib/local-runtime/package-root.js';
import type { CliIo } from '../lib/cli/io.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const quiet: CliIo = { out: () => undefined, err: () => undefined, interactive: false, cwd: '/' };

function writeProject(dir: string, environments: number): void {
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const names = Array.from({ length: environments }, (_, i) => `env-${String(i).padStart(3, '0')}`);
  write('.stageline/organization.yaml', `apiVersion: stageline.dev/v1\nkind: Organization\nmetadata: { name: bench }\nspec:\n  environments:\n${names.map((name) => `    - name: ${name}\n`).join('')}  stackJobs:\n    runner: local\n`);
  write('stageline.yaml', 'apiVersion: stageline.dev/v1\nkind: Service\nmetadata: { name: bench, org: bench }\nspec: {}\n');
  write('_kustomize/base/kustomization.yaml', 'resources: [deployment.yaml]\n');
  write('_kustomize/base/deployment.yaml', 'apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata:\n  name: bench\nspec:\n  container:\n    app:\n      image: ""\n');
  for (const name of names) {
    write(`_kustomize/overlays/${name}/kustomization.yaml`, 'resources: [../../base]\npatches:\n- path: env.yaml\n');
    write(`_kustomize/overlays/${name}/env.yaml`, `apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata:\n  name: bench\n  env: ${name}\n`);
  }
}

async function historyFigures(environments: number, scratch: string): Promise<void> {
  const dir = join(scratch, `envs-${environments}`);
  writeProject(dir, environments);
  const start = performance.now();
  const result = await deployLocally({
    projectDir: dir,
    stateDir: join(dir, '.stageline', 'store'),
    orgConfigFile: join(dir, '.stageline', 'organization.yaml'),
    secretsFile: join(dir, '.stageline', 'secrets.yaml'),
    variablesFile: join(dir, '.stageline', 'variables.yaml'),
    build: { commitSha: 'b3c4d5e6f7a8', triggeredBy: 'bench@example.com' },
    answer: { kind: 'approve' },
    operator: 'bench@example.com',
    io: quiet,
    runner: { command: process.execPath, args: [cliEntryPoint(), 'stack-job', 'run'] },
  });
  const seconds = (performance.now() - start) / 1000;
  const transitions = result.events.filter((event) => event.type === 'StateEntered').length;
  const perEnvTransitions = result.events.filter((event) => event.type === 'StateEntered' && (event.state === 'Needs approval?' || event.state === 'Run stack job' || event.state === 'Wait for approval')).length / environments;
  console.log(
    `${String(environments).padStart(3)} environments: run ${result.run.status}, ${transitions} state transitions (${perEnvTransitions.toFixed(1)} per ungated environment; goal <= 3), ` +
      `${result.events.length} history events (${(result.events.length / environments).toFixed(1)} per environment; goal <= 15), ${seconds.toFixed(1)} s in process`,
  );
}

function wholeProcess(scratch: string): void {
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const dir = join(scratch, `example-${round}`);
    cpSync(join(repoRoot, 'examples', 'hello-service'), dir, { recursive: true, filter: (source) => !source.includes(join('.stageline', 'store')) });
    const start = performance.now();
    const run = spawnSync(process.execPath, [cliEntryPoint(), 'deploy', '--project', dir, '--local', '--approve'], { encoding: 'utf8' });
    times.push(performance.now() - start);
    if (run.status !== 0) throw new Error(`deploy --local failed: ${run.stderr}`);
  }
  times.sort((a, b) => a - b);
  console.log(`whole-process stageline deploy --local --approve, examples/hello-service (3 environments, 1 gate): ${(times[1]! / 1000).toFixed(2)} s (median of 3; goal <= 2 s)`);
}

const scratch = mkdtempSync(join(tmpdir(), 'stageline-bench-workflow-'));
try {
  await historyFigures(3, scratch);
  await historyFigures(100, scratch);
  wholeProcess(scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
