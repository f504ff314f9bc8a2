import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileTaskCallbacks } from '../../../lib/adapters/local/file-task-callbacks.js';
import { JOB_DIR_PREFIX } from '../../../lib/adapters/local/command-provisioner.js';
import { processAlive } from '../../../lib/local-runtime/process-liveness.js';
import { environmentLockKey } from '../../../lib/pipeline/stack-job/keys.js';
import { CANARY, ENV, jobFixture, ORG, SERVICE, tempDir, TOKEN, type JobFixture } from '../../unit/pipeline/stack-job/harness.js';

/**
 * The runner (`stageline stack-job run`) as a real child process, killed by PID: its provisioner's
 * processes never outlive it, the resolved manifest never stays on disk, and it survives the
 * death of whoever reads its output.
 */
const REPO = resolve(import.meta.dirname, '../../..');

async function project(apply: string): Promise<{ job: JobFixture; env: NodeJS.ProcessEnv; work: string }> {
  const job = await jobFixture();
  await job.store.put(
    'config/organization.yaml',
    `apiVersion: stageline.dev/v1\nkind: Organization\nmetadata: { name: ${ORG} }\nspec:\n  environments: [{ name: ${ENV} }]\n  stackJobs:\n    runner: local\n    provisioners:\n      KubernetesDeployment: { apply: ${JSON.stringify(apply)} }\n`,
  );
  const work = await tempDir('stageline-crash-runner-');
  await mkdir(join(work, '.stageline'));
  await writeFile(join(work, '.stageline', 'secrets.yaml'), `environments:\n  ${ENV}:\n    database:\n      password: ${CANARY}\n`, { mode: 0o600 });
  await writeFile(join(work, '.stageline', 'variables.yaml'), 'app:\n  log-level: info\n');
  const env = {
    ...process.env,
    STAGELINE_JOB: JSON.stringify(job.request),
    STAGELINE_STATE_DIR: job.store.root,
    STAGELINE_SECRETS_FILE: join(work, '.stageline', 'secrets.yaml'),
    STAGELINE_VARIABLES_FILE: join(work, '.stageline', 'variables.yaml'),
  };
  return { job, env, work };
}

function startRunner(env: NodeJS.ProcessEnv): ChildProcess & { output: string[]; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bin', 'stageline.ts'), 'stack-job', 'run'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return Object.assign(child, { output, exited });
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((done) => setTimeout(done, 25));
  }
}

const pidIn = (file: string) => Number(readFileSync(file, 'utf8').trim());
const hasPid = (file: string) => existsSync(file) && /^\d+$/.test(readFileSync(file, 'utf8').trim());
const jobDirs = (job: JobFixture) => {
  const dir = join(job.store.root, 'local', 'private');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(JOB_DIR_PREFIX)) : [];
};

describe('the stack-job runner, killed by PID', () => {
  it('SIGKILL mid-apply: the provisioner’s processes die with it and the resolved manifest is removed', async () => {
    const { job, env, work } = await project('sleep 60 & echo $! > $STAGELINE_WORK/apply.pid; wait');
    const runner = startRunner({ ...env, STAGELINE_WORK: work });
    const pidFile = join(work, 'apply.pid');
    await until(() => hasPid(pidFile));
    const apply = pidIn(pidFile);
    expect(jobDirs(job)).toHaveLength(1);

    process.kill(runner.pid!, 'SIGKILL');
    await runner.exited;

    await until(() => !processAlive(apply), 10_000);
    await until(() => jobDirs(job).length === 0, 10_000);
    expect(await job.store.get(`deployed/${ORG}/${ENV}/${SERVICE}.yaml`)).toBeUndefined();
  }, 60_000);

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} mid-apply: stops the group, records the task FAILED, reports it, releases the lease, removes the manifest`, async () => {
      const { job, env, work } = await project('sleep 60 & echo $! > $STAGELINE_WORK/apply.pid; wait');
      const runner = startRunner({ ...env, STAGELINE_WORK: work });
      const pidFile = join(work, 'apply.pid');
      await until(() => hasPid(pidFile));
      const apply = pidIn(pidFile);

      process.kill(runner.pid!, signal);
      const exit = await runner.exited;

      expect(exit.code).toBe(1);
      expect(processAlive(apply)).toBe(false);
      expect(await job.task()).toMatchObject({ status: 'FAILED', detail: expect.stringContaining(`the stack-job runner was stopped (${signal} received)`) });
      expect(await new FileTaskCallbacks(job.store).read(TOKEN)).toMatchObject({ type: 'failure', error: 'Stageline.StackJobFailed' });
      expect(await job.store.get(environmentLockKey(ORG, ENV, SERVICE))).toBeUndefined();
      expect(jobDirs(job)).toEqual([]);
      expect(await job.store.get(`deployed/${ORG}/${ENV}/${SERVICE}.yaml`)).toBeUndefined();
    }, 60_000);
  }

  it('removes resolved manifests a crashed runner left behind when the next runner starts', async () => {
    const { job, env } = await project('echo applied');
    const deadPid = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const leftover = join(job.store.root, 'local', 'private', `${JOB_DIR_PREFIX}${deadPid}-zzzzzz`);
    await mkdir(leftover, { recursive: true });
    await writeFile(join(leftover, 'manifest.yaml'), `password: ${CANARY}\n`, { mode: 0o600 });

    const runner = startRunner(env);
    expect((await runner.exited).code).toBe(0);

    expect(existsSync(leftover)).toBe(false);
    expect(jobDirs(job)).toEqual([]);
  }, 60_000);

  it('survives its reader’s death (a closed pipe): finishes the job, reports it, and keeps its whole log in the store', async () => {
    const { job, env, work } = await project('while [ ! -e $STAGELINE_WORK/go ]; do sleep 0.05; done; for i in 1 2 3 4 5; do echo line $i; done');
    const runner = startRunner({ ...env, STAGELINE_WORK: work });
    await until(() => runner.output.join('').includes('apply:'));
    // The reader goes away (the deploy --local was killed, `| head` exited): the pipes close.
    runner.stdout!.destroy();
    runner.stderr!.destroy();
    await writeFile(join(work, 'go'), '');

    const exit = await runner.exited;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(await new FileTaskCallbacks(job.store).read(TOKEN)).toMatchObject({ type: 'success' });
    expect(await job.task()).toMatchObject({ status: 'SUCCEEDED' });
    const log = readFileSync(join(job.store.root, 'local', 'logs', job.request.runId, '0-dev.log'), 'utf8');
    expect(log).toContain('[apply] line 5');
    expect(log).toContain('reported success to the workflow');
    expect(log).not.toContain(CANARY);
  }, 60_000);
});
