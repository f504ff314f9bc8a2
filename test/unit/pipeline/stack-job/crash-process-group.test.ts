import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandProvisioner, JOB_DIR_PREFIX, removeLeftoverJobDirs } from '../../../../lib/adapters/local/command-provisioner.js';
import { processAlive } from '../../../../lib/local-runtime/process-liveness.js';
import type { ProvisionJob } from '../../../../lib/ports/provisioner.js';
import { ENV, ORG, SERVICE, tempDir } from './harness.js';

/** A stack job is one unit: the provisioner's processes never outlive the command that started them. */

function provisionJob(): ProvisionJob {
  return { org: ORG, service: SERVICE, env: ENV, kind: 'KubernetesDeployment', name: 'hello', storedManifest: 'stored', resolvedManifest: 'resolved: secret\n' };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pidIn = (file: string) => Number(readFileSync(file, 'utf8').trim());

describe('command provisioner: its own process group', () => {
  it('a stop (abort) kills the whole group, background processes included, and settles only once they are gone', async () => {
    const work = await tempDir();
    const pidFile = join(work, 'background.pid');
    const groups: (number | undefined)[] = [];
    const stop = new AbortController();
    const provisioner = new CommandProvisioner({ apply: `sleep 60 & echo $! > ${pidFile}; wait` }, { tempDir: join(work, 'private'), stopGraceMs: 1_000 });
    const logs: string[] = [];
    const done = provisioner.provision(provisionJob(), (line) => logs.push(line), { signal: stop.signal, onProcessGroup: (pgid) => groups.push(pgid) }).catch((error: Error) => error);
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const background = pidIn(pidFile);
    expect(processAlive(background)).toBe(true);

    stop.abort('cancelled by ops@acme.io');
    const result = await done;

    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toBe('apply command was stopped: cancelled by ops@acme.io');
    expect(processAlive(background)).toBe(false);
    expect(groups).toHaveLength(2);
    expect(groups[0]).toEqual(expect.any(Number));
    expect(groups[1]).toBeUndefined();
    // The manifest's directory is gone too.
    expect(await readdir(join(work, 'private'))).toEqual([]);
  });

  it('what a command leaves running in the background is stopped when it exits', async () => {
    const work = await tempDir();
    const pidFile = join(work, 'left-behind.pid');
    const provisioner = new CommandProvisioner({ apply: `sleep 60 > /dev/null 2>&1 & echo $! > ${pidFile}; echo applied` }, { tempDir: join(work, 'private'), stopGraceMs: 1_000 });
    const started = Date.now();
    const result = await provisioner.provision(provisionJob(), () => undefined);
    expect(result.summary).toBe('applied; 0 outputs');
    expect(processAlive(pidIn(pidFile))).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the private folder for resolved manifests is made 0700, even when it existed with wider permissions', async () => {
    const work = await tempDir();
    const privateDir = join(work, 'local', 'private');
    await mkdir(privateDir, { recursive: true, mode: 0o755 });
    const seen = join(work, 'mode');
    const provisioner = new CommandProvisioner({ apply: `stat -c %a "$(dirname {{ .ManifestFile }})" > ${seen}` }, { tempDir: privateDir });
    await provisioner.provision(provisionJob(), () => undefined);
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    expect(readFileSync(seen, 'utf8').trim()).toBe('700');
  });

  it('removes the job directories of runners that are gone, keeps those of live runners', async () => {
    const privateDir = join(await tempDir(), 'private');
    const deadPid = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const dead = join(privateDir, `${JOB_DIR_PREFIX}${deadPid}-abc123`);
    const live = join(privateDir, `${JOB_DIR_PREFIX}${process.ppid}-def456`);
    for (const dir of [dead, live]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'manifest.yaml'), 'password: plaintext\n', { mode: 0o600 });
    }
    expect(await removeLeftoverJobDirs(privateDir, processAlive)).toBe(1);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
