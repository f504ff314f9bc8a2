import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleCopy, stageline } from './example-project.js';

/** rollback, retry and deploy --redeploy through the compiled CLI, on a copy of the example service. */



interface Row {
  env: string;
  deployed: { image: string; digest: string; runId: string; kind: string } | null;
}
const environments = (project: string) => (JSON.parse(stageline(['environments', '--json'], project).stdout) as { environments: Row[] }).environments;
const history = (project: string, env: string) => (JSON.parse(stageline(['history', env, '--json'], project).stdout) as { deployments: Row['deployed'][] }).deployments;
const newestRun = (project: string) => (JSON.parse(stageline(['runs', '--json'], project).stdout) as { runId: string; status: string }[])[0]!;

describe('stageline rollback', () => {
  it("restores an environment's previous manifest, byte for byte, as a run of kind rollback; the other environments stay", () => {
    const project = exampleCopy();
    expect(stageline(['deploy', '--local', '--approve', '--image', 'hello:v1'], project).code).toBe(0);
    const v1 = history(project, 'app-staging')[0]!;
    expect(stageline(['deploy', '--local', '--approve', '--image', 'hello:v2'], project).code).toBe(0);

    const rollback = stageline(['rollback', 'app-staging', '--local', '--approve'], project);
    expect(rollback.code).toBe(0);
    expect(rollback.stderr).toContain(`rollback of app-staging: from hello:v2`);
    expect(rollback.stdout).toMatch(/^1\s+staging\s+app-staging\s+SUCCEEDED/m);

    const rows = environments(project);
    expect(rows.map((row) => [row.env, row.deployed?.image, row.deployed?.kind])).toEqual([
      ['app-dev', 'hello:v2', 'deploy'],
      ['app-staging', 'hello:v1', 'rollback'],
      ['app-production', 'hello:v2', 'deploy'],
    ]);
    expect(rows[1]!.deployed!.digest).toBe(v1.digest);
    const recorded = readFileSync(join(project, '.stageline', 'store', 'deployed', 'acme', 'app-staging', 'hello-service.yaml'), 'utf8');
    expect(recorded).toBe(readFileSync(join(project, '.stageline', 'store', 'runs', v1.runId, 'manifests', `${v1.digest}.yaml`), 'utf8'));
  });

  it('--to names the deployment to restore; one that is deployed now is refused', () => {
    const project = exampleCopy();
    stageline(['deploy', '--local', '--approve', '--image', 'hello:v1'], project);
    stageline(['deploy', '--local', '--approve', '--image', 'hello:v2'], project);
    const [v2, v1] = history(project, 'app-dev');
    const refused = stageline(['rollback', 'app-dev', '--to', v2!.digest.slice(0, 12), '--local', '--approve'], project);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')[0]).toBe(`error: app-dev: "${v2!.digest.slice(0, 12)}" is the manifest deployed there now (run ${v2!.runId}); nothing to roll back`);
    expect(stageline(['rollback', 'app-dev', '--to', v1!.runId, '--local', '--approve'], project).code).toBe(0);
    expect(environments(project)[0]!.deployed!.image).toBe('hello:v1');
  });

  it('with nothing to roll back to, one line says so and nothing runs', () => {
    const project = exampleCopy();
    stageline(['deploy', '--local', '--approve'], project);
    const before = newestRun(project).runId;
    const { code, stdout, stderr } = stageline(['rollback', 'app-dev', '--local', '--approve'], project);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: app-dev: nothing to roll back to: it has been deployed once\nhint: stageline history app-dev lists its deployments\n');
    expect(newestRun(project).runId).toBe(before);
  });
});

describe('stageline retry', () => {
  it('starts at the environment that failed, with the stored manifests; the earlier environments are not deployed again', () => {
    const project = exampleCopy();
    const marker = join(project, 'fail-production');
    writeFileSync(marker, '');
    const orgFile = join(project, '.stageline', 'organization.yaml');
    writeFileSync(
      orgFile,
      readFileSync(orgFile, 'utf8').replace(
        '    runner: local',
        `    runner: local\n    provisioners:\n      KubernetesDeployment:\n        apply: "sh -c 'if [ $STAGELINE_ENV = app-production ] && [ -e ${marker} ]; then echo refusing >&2; exit 3; fi'"`,
      ),
    );
    const first = stageline(['deploy', '--local', '--approve'], project);
    expect(first.code).toBe(1);
    const failed = newestRun(project);
    expect(failed.status).toBe('FAILED');
    // What the provisioner said is kept: status shows the end of the failed job's log, logs all of it.
    const failedStatus = stageline(['status', failed.runId], project);
    expect(failedStatus.stdout).toContain(`last lines of app-production's stack-job log (all of it: stageline logs ${failed.runId} app-production):`);
    expect(failedStatus.stdout).toMatch(/^ {2}.*refusing$/m);
    const logs = stageline(['logs', failed.runId, 'app-production'], project);
    expect(logs.stdout).toMatch(/^stack job: hello-service → app-production/);
    expect(logs.stdout).toMatch(/refusing/);
    expect(logs.stdout).not.toMatch(/example-production-password/);

    unlinkSync(marker);
    const retry = stageline(['retry', failed.runId, '--local', '--approve'], project);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^1\s+production\s+app-production\s+SUCCEEDED/m);
    expect(retry.stdout).not.toMatch(/app-dev/);
    expect(history(project, 'app-dev')).toHaveLength(1);
    const production = history(project, 'app-production');
    expect(production.map((deployment) => deployment!.kind)).toEqual(['retry']);
    const status = JSON.parse(stageline(['status', production[0]!.runId, '--json'], project).stdout) as { warnings: string[]; tasks: { digest: string }[] };
    expect(status.warnings).toContain(`retry of run ${failed.runId}: starts at app-production with that run's stored manifests (the environments before it succeeded there)`);
    const original = JSON.parse(stageline(['status', failed.runId, '--json'], project).stdout) as { tasks: { env: string; digest: string }[] };
    expect(status.tasks[0]!.digest).toBe(original.tasks.find((task) => task.env === 'app-production')!.digest);
    expect(existsSync(marker)).toBe(false);
  });

  it('a succeeded run is not retried; the hint names deploy --redeploy, which runs the build again as a new run', () => {
    const project = exampleCopy();
    stageline(['deploy', '--local', '--approve'], project);
    const done = newestRun(project);
    const refused = stageline(['retry', done.runId, '--local'], project);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: run ${done.runId} succeeded: there is nothing to retry\nhint: to deploy the same commit again on purpose, use stageline deploy --redeploy\n`);

    const again = stageline(['deploy', '--local', '--approve'], project);
    expect(again.stderr).toContain('nothing new started');
    const redeploy = stageline(['deploy', '--local', '--approve', '--redeploy'], project);
    expect(redeploy.code).toBe(0);
    expect(newestRun(project).runId).not.toBe(done.runId);
    expect(history(project, 'app-dev').map((deployment) => deployment!.kind)).toEqual(['redeploy', 'deploy']);
  });

  it('an unknown run is one line with a hint', () => {
    const { code, stderr } = stageline(['retry', 'nope-1', '--local'], exampleCopy());
    expect(code).toBe(1);
    expect(stderr).toBe('error: run nope-1 not found in the store\nhint: list runs with `stageline runs`\n');
  });
});
