import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandProvisioner, type ProvisionerCommands } from '../../../../lib/adapters/local/command-provisioner.js';
import type { ProvisionJob } from '../../../../lib/ports/provisioner.js';
import { CANARY, ENV, helloManifest, jobFixture, leaks, memorySecrets, ORG, SERVICE, tempDir, TOKEN } from './harness.js';

const RESOLVED = `apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata:\n  env: app-dev\n  name: hello\nspec:\n  password: ${CANARY}\n`;

function provisionJob(): ProvisionJob {
  return { org: ORG, service: SERVICE, env: ENV, kind: 'KubernetesDeployment', name: 'hello', storedManifest: 'stored', resolvedManifest: RESOLVED };
}

/** Runs a command provisioner directly (no runner, so no redaction): what the command sees and prints. */
async function provision(commands: ProvisionerCommands, options: { tempDir?: string; env?: NodeJS.ProcessEnv } = {}) {
  const dir = options.tempDir ?? (await tempDir());
  const logs: string[] = [];
  const provisioner = new CommandProvisioner(commands, { tempDir: dir, ...(options.env ? { env: options.env } : {}) });
  const result = await provisioner.provision(provisionJob(), (line) => logs.push(line)).catch((error: Error) => error);
  return { result, logs, dir };
}

describe('command provisioner', () => {
  it('writes the resolved manifest to a 0600 file the command reads, and removes it afterwards', async () => {
    const { result, logs } = await provision({
      apply: 'ls -l {{ .ManifestFile }} | cut -c1-10; grep -c "password: ' + CANARY + '" {{.ManifestFile}}; echo "STAGELINE_OUTPUT file=$STAGELINE_MANIFEST_FILE"',
    });
    expect(result).toEqual({ outputs: { file: expect.stringMatching(/manifest\.yaml$/) }, summary: 'applied; 1 output' });
    expect(logs).toContain('[apply] -rw-------');
    expect(logs).toContain('[apply] 1');
    const file = (result as { outputs: Record<string, string> }).outputs.file!;
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(file, '..'))).toBe(false);
  });

  it('runs preview, then apply, relaying stdout and stderr line by line; outputs come from apply', async () => {
    const { result, logs } = await provision({
      preview: 'echo "would change 1 resource"; echo "STAGELINE_OUTPUT ignored=yes"',
      apply: 'echo applying; echo "warning: slow" >&2; printf "STAGELINE_OUTPUT url=https://hello.example/a=b\\nSTAGELINE_OUTPUT id=42"',
    });
    expect(result).toEqual({ outputs: { url: 'https://hello.example/a=b', id: '42' }, summary: 'previewed and applied; 2 outputs' });
    expect(logs[0]).toMatch(/^preview: echo "would change 1 resource"/);
    expect(logs).toContain('[preview] would change 1 resource');
    expect(logs).toContain('[apply] applying');
    expect(logs).toContain('[apply] warning: slow');
    expect(logs).toContain('[apply] STAGELINE_OUTPUT id=42'); // a last line without a newline is relayed too
    expect(logs.findIndex((line) => line.startsWith('apply:'))).toBeGreaterThan(logs.indexOf('[preview] would change 1 resource'));
  });

  it('a non-zero exit fails with the exit code only (no output in the message) and still removes the file', async () => {
    const dir = await tempDir();
    const { result, logs } = await provision({ apply: `echo "denied for ${CANARY}"; echo "STAGELINE_OUTPUT f=$STAGELINE_MANIFEST_FILE"; exit 3` }, { tempDir: dir });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toBe('apply command exited with code 3');
    const file = logs.find((line) => line.startsWith('[apply] STAGELINE_OUTPUT f='))!.split('=')[1]!;
    expect(existsSync(file)).toBe(false);
  });

  it('a failing preview stops before apply', async () => {
    const dir = await tempDir();
    const marker = join(dir, 'applied');
    const { result } = await provision({ preview: 'exit 2', apply: `touch '${marker}'` });
    expect((result as Error).message).toBe('preview command exited with code 2');
    expect(existsSync(marker)).toBe(false);
  });

  it('quotes the file path for the shell, whatever the temp directory is called', async () => {
    const parent = join(await tempDir(), `it's a "dir" $(x)`);
    await mkdir(parent);
    const { result, logs } = await provision({ apply: 'test -f {{ .ManifestFile }} && echo present' }, { tempDir: parent });
    expect(result).toMatchObject({ summary: 'applied; 0 outputs' });
    expect(logs).toContain('[apply] present');
  });

  it('refuses any template construct other than {{ .ManifestFile }}, before anything runs', async () => {
    const dir = await tempDir();
    const marker = join(dir, 'ran');
    for (const apply of ['deploy {{ .Image }}', 'deploy {{- .ManifestFile }}', 'deploy {{ .ManifestFile | quote }}', 'deploy {{ .ManifestFile']) {
      const { result } = await provision({ preview: `touch '${marker}'`, apply });
      expect((result as Error).message).toMatch(/^spec\.stackJobs\.provisioners\.KubernetesDeployment\.apply: (unsupported template construct|unclosed template action)/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('gives the command the job context, but not the job itself (it holds the task token)', async () => {
    const previous = process.env.STAGELINE_JOB;
    process.env.STAGELINE_JOB = JSON.stringify({ taskToken: TOKEN });
    try {
      const { logs } = await provision({ apply: 'echo "job=${STAGELINE_JOB:-none} org=$STAGELINE_ORG env=$STAGELINE_ENV service=$STAGELINE_SERVICE kind=$STAGELINE_KIND name=$STAGELINE_NAME"' });
      expect(logs).toContain('[apply] job=none org=acme env=app-dev service=hello kind=KubernetesDeployment name=hello');
    } finally {
      if (previous === undefined) delete process.env.STAGELINE_JOB;
      else process.env.STAGELINE_JOB = previous;
    }
  });

  it('a command that cannot start fails with one line', async () => {
    const provisioner = new CommandProvisioner({ apply: 'true' }, { tempDir: await tempDir(), shell: '/nonexistent/sh' });
    await expect(provisioner.provision(provisionJob(), () => undefined)).rejects.toThrow(/^apply command could not start \(ENOENT\)$/);
  });
});

describe('command provisioner inside the runner', () => {
  it('the command sees the resolved value; its output reaches the log with the secret redacted; the canary is nowhere', async () => {
    // Prepare
    const job = await jobFixture();
    const dir = await tempDir();
    const provisioner = new CommandProvisioner(
      { preview: 'cat {{ .ManifestFile }}', apply: `grep -q '${CANARY}' {{ .ManifestFile }} && echo "secret is $(grep DATABASE_PASSWORD {{ .ManifestFile }})"; echo "STAGELINE_OUTPUT token=${CANARY}"` },
      { tempDir: dir },
    );

    // Act
    const report = await job.run({ provisionerFor: () => provisioner });

    // Assess
    expect(report).toEqual({ outcome: 'succeeded', detail: 'previewed and applied; 1 output' });
    expect(job.logs.some((line) => /^\[apply\] secret is +DATABASE_PASSWORD: \*\*\*$/.test(line))).toBe(true);
    expect(job.logs).toContain('[preview]           DATABASE_PASSWORD: ***');
    const objects = await job.objects();
    // An output holding a secret is not stored at all (not even redacted).
    expect(JSON.parse(objects[`outputs/${ORG}/${ENV}/KubernetesDeployment/hello.json`]!)).toEqual({});
    expect(leaks(CANARY, { objects, logs: job.logs, calls: job.callbacks.calls })).toEqual([]);
    expect(await readdir(dir)).toEqual([]); // the temporary directory is gone
  });

  it('a failing command fails the job with the exit code line; the canary is nowhere', async () => {
    const job = await jobFixture();
    const provisioner = new CommandProvisioner({ apply: `cat {{ .ManifestFile }} >&2; echo "auth failed: ${CANARY}"; exit 7` }, { tempDir: await tempDir() });
    const report = await job.run({ provisionerFor: () => provisioner });
    expect(report).toEqual({ outcome: 'failed', detail: 'apply command exited with code 7' });
    expect(job.logs).toContain('[apply] auth failed: ***');
    expect(await job.task()).toMatchObject({ status: 'FAILED', detail: 'apply command exited with code 7' });
    expect(job.callbacks.calls).toEqual([
      { method: 'heartbeat', args: [TOKEN] },
      { method: 'fail', args: [TOKEN, 'Stageline.StackJobFailed', 'apply command exited with code 7'] },
    ]);
    const objects = await job.objects();
    expect(Object.keys(objects).filter((key) => key.startsWith('deployed/'))).toEqual([]);
    expect(leaks(CANARY, { objects, logs: job.logs, calls: job.callbacks.calls })).toEqual([]);
  });

  it('a command that cats the manifest never shows a secret, in whatever form the manifest file writes it', async () => {
    // Prepare: every secret carries the marker "zq7" in each of its words and lines
    const secrets = {
      QUOTE: "zq7-it's-mine",
      COLON_HASH: "p@ss: zq7 it's #1",
      LONG: Array.from({ length: 28 }, (_, i) => `zq7w${String(i).padStart(2, '0')}`).join(' ').padEnd(200, 'z'),
      NEWLINE: 'zq7-first line\nzq7-second line',
      NON_ASCII: 'zq7-h\u00e9llo w\u00f6rld \u{1F600} zq7',
    };
    expect(secrets.LONG).toHaveLength(200);
    const refs = Object.fromEntries(Object.keys(secrets).map((key) => [key, `$secrets-group/database/${key.toLowerCase()}`]));
    const values = Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key.toLowerCase(), value]));
    const job = await jobFixture({ manifest: helloManifest({ secrets: refs }), secrets: memorySecrets({ database: values }) });
    const provisioner = new CommandProvisioner({ apply: 'cat {{ .ManifestFile }}' }, { tempDir: await tempDir() });

    // Act
    const report = await job.run({ provisionerFor: () => provisioner });

    // Assess
    expect(report.outcome).toBe('succeeded');
    const relayed = job.logs.filter((line) => line.startsWith('[apply] '));
    expect(relayed).toContain('[apply] kind: KubernetesDeployment'); // the manifest was printed
    expect(relayed.filter((line) => line.includes('zq7'))).toEqual([]);
    expect(relayed.filter((line) => line.includes('***')).length).toBeGreaterThanOrEqual(5);
    expect(leaks('zq7', { objects: await job.objects(), logs: job.logs, calls: job.callbacks.calls })).toEqual([]);
  });
});
