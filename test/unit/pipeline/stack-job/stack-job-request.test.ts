import { describe, expect, it } from 'vitest';
import { parseStackJobRequest } from '../../../../lib/pipeline/stack-job/stack-job-request.js';

const VALID = {
  runId: 'r1',
  org: 'acme',
  service: 'hello',
  taskIndex: 0,
  overlay: 'dev',
  env: 'app-dev',
  kind: 'KubernetesDeployment',
  name: 'hello',
  manifestKey: `runs/r1/manifests/${'a'.repeat(64)}.yaml`,
  digest: 'a'.repeat(64),
  taskToken: 'secret-token-value',
};

describe('stack job request', () => {
  it('parses a StackJobRequest', () => {
    expect(parseStackJobRequest(JSON.stringify(VALID), '--job')).toEqual(VALID);
    expect(parseStackJobRequest(JSON.stringify({ ...VALID, awsRoleArn: 'arn:aws:iam::1:role/x' }), '--job').awsRoleArn).toBe('arn:aws:iam::1:role/x');
  });

  it('names the field and never echoes a value (the job holds the task token)', () => {
    expect(() => parseStackJobRequest('{not json', 'STAGELINE_JOB')).toThrow(/^STAGELINE_JOB: not valid JSON$/);
    const { runId: _, ...noRunId } = VALID;
    expect(() => parseStackJobRequest(JSON.stringify(noRunId), '--job')).toThrow(/^--job: runId: /);
    let message = '';
    try {
      parseStackJobRequest(JSON.stringify({ ...VALID, digest: 'secret-token-value' }), '--job');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('--job: digest: expected a lowercase sha256 hex digest');
  });
});
