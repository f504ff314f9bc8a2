import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.js';
import { processAlive } from '../../lib/local-runtime/process-liveness.js';
import { listRuns } from '../../lib/pipeline/workflow/records.js';
import { ORGANIZATION, TestProject } from './harness.js';

/** `stageline cancel` of a run that is applying: the job's process group is stopped, the lease freed, the run CANCELLED. */
const projects: TestProject[] = [];
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('stageline cancel while a stack job applies', () => {
  it('stops the apply (its whole process group) instead of letting it finish, and the run ends CANCELLED', async () => {
    const project = new TestProject({ '.stageline/organization.yaml': ORGANIZATION({ provisioners: '' }) });
    projects.push(project);
    const pidFile = join(project.dir, 'apply.pid');
    const apply = `sleep 60 & echo $! > ${pidFile}; wait`;
    project.write('.stageline/organization.yaml', ORGANIZATION({ provisioners: `    provisioners:\n      KubernetesDeployment:\n        apply: ${JSON.stringify(apply)}\n` }));
    const deployment = project.deploy();
    for (const deadline = Date.now() + 20_000; !(existsSync(pidFile) && /^\d+$/.test(readFileSync(pidFile, 'utf8').trim())); await sleep(20)) {
      if (Date.now() > deadline) throw new Error('the apply never started');
    }
    const apply0 = Number(readFileSync(pidFile, 'utf8').trim());
    const [running] = await listRuns(project.store);
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), interactive: false, cwd: project.dir };

    const cancelledAt = Date.now();
    expect(await runCli(['cancel', running!.runId, '--project', project.dir], io)).toBe(0);
    const { run } = await deployment;

    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    expect(run.status).toBe('CANCELLED');
    expect(run.tasks.map((task) => task.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(run.tasks[0]!.detail).toMatch(/^cancelled by .+; the apply was stopped$/);
    expect(processAlive(apply0)).toBe(false);
    expect(await project.store.get('locks/acme/app-dev/hello-service.json')).toBeUndefined();
    expect(await project.store.get('deployed/acme/app-dev/hello-service.yaml')).toBeUndefined();
  }, 60_000);
});
