import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { decideAsOperator } from '../../lib/pipeline/approvals/gate.js';
import { readGate } from '../../lib/pipeline/approvals/gate.js';
import { parseHolder } from '../../lib/pipeline/stack-job/environment-lease.js';
import { listRuns, readRun, type RunRecord } from '../../lib/pipeline/workflow/records.js';
import { processAlive } from '../../lib/local-runtime/process-liveness.js';
import { runCli } from '../../lib/cli/main.js';
import { FileTaskCallbacks } from '../../lib/adapters/local/file-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { cliEntryPoint } from '../../lib/local-runtime/package-root.js';
import { ORGANIZATION, SERVICE_YAML, TestProject } from './harness.js';

/**
 * `deploy --local` killed by PID (SIGKILL, SIGTERM): no run stays RUNNING for ever, no gate can be
 * approved into nothing, no lease blocks the next deploy, no queue lane stays stuck.
 */
const projects: TestProject[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const created of projects.splice(0)) created.cleanup();
});

const service = (envs: string, concurrency: 'supersede' | 'queue' | 'parallel' = 'supersede') => SERVICE_YAML(envs.split(',').map((env) => env.trim()), concurrency);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await sleep(25)) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
  }
}

/** `stageline deploy --local` as its own process, as an operator or a CI job runs it. */
function deployProcess(project: TestProject, commit: string, extra: string[] = []): ChildProcess & { output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cliEntryPoint(), 'deploy', '--local', '--project', project.dir, '--commit', commit, '--branch', 'main', '--triggered-by', 'dev@acme.io', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output, exited });
}

const onlyRun = async (project: TestProject): Promise<RunRecord | undefined> => (await listRuns(project.store))[0];
const lockOf = async (project: TestProject, env: string) => {
  const lock = await project.store.get(`locks/acme/${env}/hello-service.json`);
  return lock ? parseHolder(lock.body) : undefined;
};

describe('a deploy --local that is killed', () => {
  it('SIGKILL mid-apply: the runner finishes and reports; `stageline cancel` ends the run CANCELLED; no lease, no process left', async () => {
    const project = new TestProject({
      'stageline.yaml': service('dev, staging'),
      '.stageline/organization.yaml': ORGANIZATION({ provisioners: '    provisioners:\n      KubernetesDeployment:\n        apply: "sleep 2; echo applied"\n' }),
    });
    projects.push(project);
    const deploy = deployProcess(project, 'aaaaaaa1');
    const holder = await until(async () => {
      const found = await lockOf(project, 'app-dev');
      return found?.processGroup !== undefined && found;
    });
    deploy.kill('SIGKILL');
    await deploy.exited;

    // The runner outlives its parent (no EPIPE death) and records its result as usual.
    const run = await until(async () => {
      const current = await onlyRun(project);
      return current?.tasks[0]?.status === 'SUCCEEDED' && current;
    });
    expect(run.status).toBe('RUNNING');
    await until(async () => !processAlive(holder.owner!.pid));

    const io = { lines: [] as string[], out(line: string) { this.lines.push(line); }, err(line: string) { this.lines.push(line); }, interactive: false, cwd: project.dir };
    const code = await runCli(['cancel', run.runId, '--project', project.dir], io);

    expect(code).toBe(0);
    const ended = (await readRun(project.store, run.runId))!;
    expect(ended.status).toBe('CANCELLED');
    expect(ended.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'CANCELLED']);
    expect(ended.failure?.cause).toMatch(/its deploy process \(pid \d+ on .+\) (is gone|stopped renewing its heartbeat)/);
    expect(await project.store.get('locks/acme/app-dev/hello-service.json')).toBeUndefined();
    expect((await project.store.get('deployed/acme/app-dev/hello-service.yaml'))?.body).toContain('hello-service:aaaaaaa1');
  }, 90_000);

  it('SIGKILL at a gate: the next deploy ends the abandoned run, its gate is closed and can no longer be approved; the new run deploys', async () => {
    const project = new TestProject({ 'stageline.yaml': service('dev, production') });
    projects.push(project);
    const deploy = deployProcess(project, 'aaaaaaa1');
    const waiting = await until(async () => project.runWaitingAtGate());
    deploy.kill('SIGKILL');
    await deploy.exited;

    const next = await project.deploy({ build: { commitSha: 'bbbbbbb2', branch: 'main' }, answer: { kind: 'approve' } });

    expect(next.run.status).toBe('SUCCEEDED');
    expect(project.output.some((line) => line.startsWith(`ended abandoned run ${waiting} (FAILED): the run was abandoned: its deploy process (pid ${deploy.pid} on `))).toBe(true);
    const abandoned = (await readRun(project.store, waiting))!;
    expect(abandoned.status).toBe('FAILED');
    expect(abandoned.failure?.error).toBe('Stageline.OwnerLost');
    expect(abandoned.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'FAILED']);
    const gate = (await readGate(project.store, abandoned.tasks[1]!.approvalId!))!.gate;
    expect(gate.status).toBe('CANCELLED');
    const store = project.store;
    await expect(
      decideAsOperator({ store, callbacks: new FileTaskCallbacks(store), clock: systemClock }, { approvalId: gate.approvalId, approver: 'ops@acme.io', decision: 'approve', via: 'operator' }),
    ).rejects.toThrow(/this approval is closed/);
  }, 90_000);

  it('SIGKILL at a gate under `concurrency: queue`: the lane moves on at the next deploy instead of queueing behind a dead run', async () => {
    const project = new TestProject({ 'stageline.yaml': service('dev, production', 'queue') });
    projects.push(project);
    const deploy = deployProcess(project, 'aaaaaaa1');
    await until(async () => project.runWaitingAtGate());
    deploy.kill('SIGKILL');
    await deploy.exited;

    const next = await project.deploy({ build: { commitSha: 'bbbbbbb2', branch: 'main' }, answer: { kind: 'approve' } });

    expect(next.queued).toBe(false);
    expect(next.run.status).toBe('SUCCEEDED');
  }, 90_000);

  for (const [signal, why] of [['SIGTERM', 'a CI timeout'], ['SIGHUP', 'a closed terminal']] as const) {
    it(`${signal} (${why}) at a gate: the run ends CANCELLED at once and its gate is closed`, async () => {
      const project = new TestProject({ 'stageline.yaml': service('dev, production') });
      projects.push(project);
      const deploy = deployProcess(project, 'aaaaaaa1');
      const waiting = await until(async () => project.runWaitingAtGate());
      deploy.kill(signal);
      expect(await deploy.exited).not.toBe(0);

      const run = (await readRun(project.store, waiting))!;
      expect(run.status).toBe('CANCELLED');
      expect(run.failure?.cause).toBe(`interrupted by the operator (${signal})`);
      const gate = (await readGate(project.store, run.tasks[1]!.approvalId!))!.gate;
      expect(gate.status).toBe('CANCELLED');
    }, 60_000);
  }

  it('SIGKILL of the deploy and of its runner mid-apply: the next deploy does not wait on the dead run\'s lease', async () => {
    const project = new TestProject({
      'stageline.yaml': service('dev', 'parallel'),
      '.stageline/organization.yaml': ORGANIZATION({ provisioners: '    provisioners:\n      KubernetesDeployment:\n        apply: "sleep 60"\n' }),
    });
    projects.push(project);
    const deploy = deployProcess(project, 'aaaaaaa1');
    const holder = await until(async () => {
      const found = await lockOf(project, 'app-dev');
      return found?.processGroup !== undefined && found;
    });
    deploy.kill('SIGKILL');
    process.kill(holder.owner!.pid, 'SIGKILL');
    await deploy.exited;
    const abandoned = (await onlyRun(project))!;
    project.write('.stageline/organization.yaml', ORGANIZATION({ provisioners: '    provisioners:\n      KubernetesDeployment:\n        apply: "echo applied"\n' }));

    const startedAt = Date.now();
    const next = await project.deploy({ build: { commitSha: 'bbbbbbb2', branch: 'main' } });

    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(next.run.status).toBe('SUCCEEDED');
    const ended = (await readRun(project.store, abandoned.runId))!;
    expect(ended.status).toBe('FAILED');
    expect(ended.failure?.error).toBe('Stageline.OwnerLost');
    expect((await project.store.get('deployed/acme/app-dev/hello-service.yaml'))?.body).toContain('hello-service:bbbbbbb2');
    expect(processAlive(holder.processGroup!)).toBe(false);
  }, 90_000);

  it('SIGTERM mid-apply: the run ends CANCELLED, the runner and its commands are stopped, the lease is free', async () => {
    const project = new TestProject({
      'stageline.yaml': service('dev'),
      '.stageline/organization.yaml': ORGANIZATION({ provisioners: '    provisioners:\n      KubernetesDeployment:\n        apply: "sleep 60"\n' }),
    });
    projects.push(project);
    const deploy = deployProcess(project, 'aaaaaaa1');
    const holder = await until(async () => {
      const found = await lockOf(project, 'app-dev');
      return found?.processGroup !== undefined && found;
    });
    const stoppedAt = Date.now();
    deploy.kill('SIGTERM');
    await deploy.exited;

    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    const run = (await onlyRun(project))!;
    expect(run.status).toBe('CANCELLED');
    expect(processAlive(holder.owner!.pid)).toBe(false);
    await until(async () => !processAlive(holder.processGroup!), 5_000);
    expect(await project.store.get('locks/acme/app-dev/hello-service.json')).toBeUndefined();
  }, 60_000);
});
