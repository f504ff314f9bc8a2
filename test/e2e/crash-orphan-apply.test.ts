import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHolder } from '../../lib/pipeline/stack-job/environment-lease.js';
import { processAlive } from '../../lib/local-runtime/process-liveness.js';
import { ORGANIZATION, SERVICE_YAML, TestProject } from './harness.js';

/**
 * The first scenario, with real processes: the runner of an older run is SIGKILLed while
 * its apply runs; a newer run deploys the same environment. The environment must end on the NEW
 * image and the store must say so: the old apply may neither finish later nor record anything.
 */
const projects: TestProject[] = [];
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const SERVICE = SERVICE_YAML(['dev'], 'parallel');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SIGKILL of a runner mid-apply, then a newer run', () => {
  it('the environment ends on the NEW image, deployed/ agrees, the orphan apply never lands, no lease is left', async () => {
    const service = new TestProject({ 'stageline.yaml': SERVICE });
    projects.push(service);
    const state = join(service.dir, 'environment-app-dev');
    // The old commit's apply is slow (6 s), the new one's quick: an orphan of the old apply would land last.
    const apply = `if grep -q aaaaaaa1 {{ .ManifestFile }}; then sleep 6; else sleep 1; fi; grep -o 'hello-service:[0-9a-f]*' {{ .ManifestFile }} > ${state}`;
    service.write('.stageline/organization.yaml', ORGANIZATION({ provisioners: `    provisioners:\n      KubernetesDeployment:\n        apply: ${JSON.stringify(apply)}\n` }));

    const older = service.deploy({ build: { commitSha: 'aaaaaaa1', branch: 'main' } });
    let runnerPid: number | undefined;
    for (const deadline = Date.now() + 20_000; runnerPid === undefined && Date.now() < deadline; await sleep(20)) {
      const lock = await service.store.get('locks/acme/app-dev/hello-service.json');
      const holder = lock ? parseHolder(lock.body) : undefined;
      if (holder?.processGroup !== undefined) runnerPid = holder.owner?.pid;
    }
    expect(runnerPid).toBeDefined();
    process.kill(runnerPid!, 'SIGKILL');
    const olderResult = await older;
    expect(olderResult.run.status).toBe('FAILED');
    expect(olderResult.run.tasks[0]?.detail).toMatch(/the stack-job runner was killed by SIGKILL before reporting/);

    const newerResult = await service.deploy({ build: { commitSha: 'bbbbbbb2', branch: 'main' } });
    expect(newerResult.run.status).toBe('SUCCEEDED');
    // Long enough for the old apply to have landed, had it survived.
    await sleep(7_000);

    expect(readFileSync(state, 'utf8').trim()).toBe('hello-service:bbbbbbb2');
    expect((await service.store.get('deployed/acme/app-dev/hello-service.yaml'))?.body).toContain('hello-service:bbbbbbb2');
    expect(await service.store.get('locks/acme/app-dev/hello-service.json')).toBeUndefined();
    expect(processAlive(runnerPid!)).toBe(false);
    // The killed job's resolved manifest (secrets) is gone too.
    const privateDir = join(service.stateDir, 'local', 'private');
    expect(existsSync(privateDir) ? readdirSync(privateDir) : []).toEqual([]);
  }, 90_000);
});
