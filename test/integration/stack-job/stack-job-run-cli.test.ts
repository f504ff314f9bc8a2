import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileTaskCallbacks } from '../../../lib/adapters/local/file-task-callbacks.js';
import { runCli } from '../../../lib/cli/main.js';
import { stackJobRunCommand } from '../../../lib/cli/commands/stack-job-run.js';
import { StagelineError } from '../../../lib/errors.js';
import { captureIo } from '../../unit/pipeline/capture-io.js';
import { CANARY, ENV, jobFixture, ORG, SERVICE, tempDir, TOKEN, type JobFixture } from '../../unit/pipeline/stack-job/harness.js';

const REPO = resolve(import.meta.dirname, '../../..');

function organization(apply?: string): string {
  const provisioners = apply ? `\n  stackJobs:\n    runner: local\n    provisioners:\n      KubernetesDeployment: { apply: ${JSON.stringify(apply)} }` : '';
  return `apiVersion: stageline.dev/v1\nkind: Organization\nmetadata: { name: ${ORG} }\nspec:\n  environments: [{ name: ${ENV} }]${provisioners}\n`;
}

/** A local project: the store (with a run waiting on its stack job), secrets.yaml and variables.yaml. */
async function project(options: { apply?: string; organization?: boolean } = {}): Promise<{ job: JobFixture; cwd: string; secretsFile: string; variablesFile: string }> {
  const job = await jobFixture();
  if (options.organization !== false) await job.store.put('config/organization.yaml', organization(options.apply));
  const cwd = await tempDir('stageline-stack-job-cli-');
  await mkdir(join(cwd, '.stageline'));
  const secretsFile = join(cwd, '.stageline', 'secrets.yaml');
  const variablesFile = join(cwd, '.stageline', 'variables.yaml');
  await writeFile(secretsFile, `database:\n  password: org-level\nenvironments:\n  ${ENV}:\n    database:\n      password: ${CANARY}\n`, { mode: 0o600 });
  await writeFile(variablesFile, 'app:\n  log-level: info\n');
  return { job, cwd, secretsFile, variablesFile };
}

/** A log line with runs of blanks made one (YAML indentation relayed from a command). */
function squeeze(line: string): string {
  return line.replace(/\s+/g, ' ').trim();
}

function leaksIn(texts: string[]): boolean {
  return texts.some((text) => text.includes(CANARY));
}

describe('stageline stack-job run (local adapters)', () => {
  it('runs a job end to end with the built-in record provisioner and reports success through the store', async () => {
    // Prepare
    const { job, cwd, secretsFile, variablesFile } = await project();
    const io = captureIo(cwd);

    // Act
    const code = await runCli(
      ['stack-job', 'run', '--job', JSON.stringify(job.request), '--state-dir', job.store.root, '--secrets-file', secretsFile, '--variables-file', variablesFile],
      io,
    );

    // Assess
    expect(code).toBe(0);
    expect(await new FileTaskCallbacks(job.store).read(TOKEN)).toEqual({ type: 'success', output: { summary: `recorded; first deployment of ${SERVICE} to ${ENV}` } });
    const objects = await job.objects();
    expect(objects[`deployed/${ORG}/${ENV}/${SERVICE}.yaml`]).toBe(job.storedManifest);
    expect(await job.task()).toMatchObject({ status: 'SUCCEEDED', detail: `recorded; first deployment of ${SERVICE} to ${ENV}` });
    expect(io.stdout).toContain('reported success to the workflow');
    expect(io.stderr).toEqual([]);
    expect(leaksIn([...Object.values(objects), ...io.stdout, ...io.stderr])).toBe(false);
  });

  it("runs the organization's command with the resolved manifest; output relayed with the secret redacted", async () => {
    const { job, cwd, secretsFile, variablesFile } = await project({
      apply: 'grep "DATABASE_PASSWORD\\|LOG_LEVEL" {{ .ManifestFile }}; echo STAGELINE_OUTPUT url=https://hello.example',
    });
    const io = captureIo(cwd);
    await stackJobRunCommand({ job: JSON.stringify(job.request), stateDir: job.store.root, secretsFile, variablesFile }, io);
    expect(io.stdout.map(squeeze)).toEqual(expect.arrayContaining(['[apply] DATABASE_PASSWORD: ***', '[apply] LOG_LEVEL: info']));
    const objects = await job.objects();
    expect(JSON.parse(objects[`outputs/${ORG}/${ENV}/KubernetesDeployment/hello.json`]!)).toEqual({ url: 'https://hello.example' });
    expect(leaksIn([...Object.values(objects), ...io.stdout, ...io.stderr])).toBe(false);
  });

  it('a failing command: exit code 1, one line on stderr, the failure reported through the store, nothing deployed', async () => {
    const { job, cwd, secretsFile, variablesFile } = await project({ apply: `cat {{ .ManifestFile }}; exit 5` });
    const io = captureIo(cwd);
    const code = await runCli(
      ['stack-job', 'run', '--job', JSON.stringify(job.request), '--state-dir', job.store.root, '--secrets-file', secretsFile, '--variables-file', variablesFile],
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr[0]).toBe(`error: stack job for ${SERVICE} → ${ENV} failed: apply command exited with code 5`);
    expect(await new FileTaskCallbacks(job.store).read(TOKEN)).toEqual({ type: 'failure', error: 'Stageline.StackJobFailed', cause: 'apply command exited with code 5' });
    const objects = await job.objects();
    expect(Object.keys(objects).some((key) => key.startsWith('deployed/'))).toBe(false);
    expect(io.stdout.map(squeeze)).toContain('[apply] DATABASE_PASSWORD: ***');
    expect(leaksIn([...Object.values(objects), ...io.stdout, ...io.stderr])).toBe(false);
  });

  it('a step already closed when the job starts (queued past its timeout): exit 1, the command never runs, nothing deployed or reported', async () => {
    // Prepare: the local runtime closed the step; the command would leave a marker
    const { job, cwd, secretsFile, variablesFile } = await project({ apply: 'touch "$STAGELINE_MARKER"' });
    const marker = join(cwd, 'applied');
    process.env.STAGELINE_MARKER = marker;
    const callbacks = new FileTaskCallbacks(job.store);
    await callbacks.close(TOKEN);
    const io = captureIo(cwd);

    // Act
    const code = await runCli(
      ['stack-job', 'run', '--job', JSON.stringify(job.request), '--state-dir', job.store.root, '--secrets-file', secretsFile, '--variables-file', variablesFile],
      io,
    ).finally(() => delete process.env.STAGELINE_MARKER);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr[0]).toBe(`error: stack job for ${SERVICE} → ${ENV} failed: the workflow step closed before the job started; nothing applied`);
    expect(existsSync(marker)).toBe(false);
    expect(await callbacks.read(TOKEN)).toBeUndefined();
    const objects = await job.objects();
    expect(Object.keys(objects).filter((key) => key.startsWith('deployed/') || key.startsWith('outputs/'))).toEqual([]);
    expect(await job.task()).toMatchObject({ status: 'APPLYING' });
  });

  it('a store without the organization config fails the job through the workflow instead of leaving it waiting', async () => {
    const { job, cwd, secretsFile, variablesFile } = await project({ organization: false });
    const error = await stackJobRunCommand({ job: JSON.stringify(job.request), stateDir: job.store.root, secretsFile, variablesFile }, captureIo(cwd)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StagelineError);
    expect((error as Error).message).toMatch(/failed: the store has no config\/organization\.yaml$/);
    expect(await new FileTaskCallbacks(job.store).read(TOKEN)).toMatchObject({ type: 'failure', error: 'Stageline.StackJobFailed' });
  });

  it('without a job: a usage error, nothing touched', async () => {
    const previous = process.env.STAGELINE_JOB;
    delete process.env.STAGELINE_JOB;
    try {
      await expect(stackJobRunCommand({}, captureIo(process.cwd()))).rejects.toThrow(/^no stack job given: pass --job JSON, or set STAGELINE_JOB \(STAGELINE_JOB_KEY with STAGELINE_BUCKET in AWS\)$/);
    } finally {
      if (previous !== undefined) process.env.STAGELINE_JOB = previous;
    }
  });

  it('as a child process, configured by environment variables only (how the local launcher starts it)', async () => {
    // Prepare: the secrets and variables files sit at their default place under the working directory.
    const { job, cwd } = await project({ apply: 'echo "job=${STAGELINE_JOB:-none}"; grep DATABASE_PASSWORD {{ .ManifestFile }}' });

    // Act
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'bin', 'stageline.ts'), 'stack-job', 'run'], {
      cwd: REPO,
      env: {
        ...process.env,
        STAGELINE_JOB: JSON.stringify(job.request),
        STAGELINE_STATE_DIR: job.store.root,
        STAGELINE_SECRETS_FILE: join(cwd, '.stageline', 'secrets.yaml'),
        STAGELINE_VARIABLES_FILE: join(cwd, '.stageline', 'variables.yaml'),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('[apply] job=none');
    expect(child.stdout).toMatch(/\[apply\] +DATABASE_PASSWORD: \*\*\*/);
    expect(child.stdout).not.toContain(CANARY);
    expect(child.stdout).not.toContain(TOKEN);
    expect(await new FileTaskCallbacks(job.store).read(TOKEN)).toMatchObject({ type: 'success' });
    expect(leaksIn(Object.values(await job.objects()))).toBe(false);
  });
});
