import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { listRuns } from '../../lib/pipeline/workflow/records.js';
import { ORGANIZATION, SERVICE_YAML, TestProject } from './harness.js';

/**
 * Two runs of one service and branch under `concurrency: parallel`: each stack job takes the
 * environment's lease (locks/<org>/<env>/<service>.json), so the two applies of an environment
 * never overlap.
 */
const projects: TestProject[] = [];
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const SERVICE = SERVICE_YAML(['dev', 'staging'], 'parallel');

/** start/end lines (nanoseconds) of one environment's applies, in the order written. */
function applies(log: string): { start: bigint; end: bigint }[] {
  const lines = log.trim().split('\n').map((line) => line.split(' ') as [string, string]);
  const out: { start: bigint; end: bigint }[] = [];
  for (let index = 0; index < lines.length; index += 2) {
    const [start, end] = [lines[index]!, lines[index + 1]];
    expect(start[0]).toBe('start');
    expect(end?.[0]).toBe('end'); // an apply's end comes before the next one's start
    out.push({ start: BigInt(start[1]), end: BigInt(end![1]) });
  }
  return out;
}

describe('the environment lease, end to end', () => {
  it('two parallel runs of different commits never apply the same environment at once', async () => {
    // Prepare: a provisioner that records when each apply starts and ends, one file per environment.
    const service = new TestProject({ 'stageline.yaml': SERVICE });
    projects.push(service);
    const logDir = join(service.dir, 'applies');
    const apply = `mkdir -p ${logDir}; echo start $(date +%s%N) >> ${logDir}/$STAGELINE_ENV.log; sleep 1; echo end $(date +%s%N) >> ${logDir}/$STAGELINE_ENV.log`;
    const provisioners = `    provisioners:\n      KubernetesDeployment:\n        apply: ${JSON.stringify(apply)}\n`;
    service.write('.stageline/organization.yaml', ORGANIZATION({ provisioners }));

    // Act: the older commit is applying app-dev (its stack job holds the lease) when the newer one's run starts.
    const older = service.deploy({ build: { commitSha: 'aaaaaaa1', branch: 'main' } });
    let leased = false;
    for (const deadline = Date.now() + 15_000; !leased && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
      leased = (await service.store.get('locks/acme/app-dev/hello-service.json')) !== undefined;
    }
    expect(leased).toBe(true);
    expect((await listRuns(service.store))[0]?.tasks[0]?.status).toBe('APPLYING');
    const newer = service.deploy({ build: { commitSha: 'bbbbbbb2', branch: 'main' } });
    const [olderResult, newerResult] = await Promise.all([older, newer]);

    // Assess
    expect(olderResult.run.status).toBe('SUCCEEDED');
    expect(newerResult.run.status).toBe('SUCCEEDED');
    expect(newerResult.superseded ?? []).toEqual([]);
    for (const env of ['app-dev', 'app-staging']) {
      const intervals = applies(service.readFile(`applies/${env}.log`));
      expect(intervals).toHaveLength(2);
      expect(intervals[0]!.end).toBeLessThanOrEqual(intervals[1]!.start);
    }
    expect(service.output.some((line) => line.includes(`waiting for run ${olderResult.run.runId} to finish applying app-dev`))).toBe(true);
    // The run that applied app-dev last (the newer commit) is what is deployed there; no lease is left behind.
    expect((await service.store.get('deployed/acme/app-dev/hello-service.yaml'))?.body).toContain('bbbbbbb2');
    expect([...service.storeFiles().keys()].filter((key) => key.startsWith('locks/'))).toEqual([]);
  }, 60_000);
});
