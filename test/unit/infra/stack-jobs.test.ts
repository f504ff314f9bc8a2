import { describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { STACK_JOB_HEARTBEAT_SECONDS } from '../../../lib/pipeline/stack-job/heartbeat.js';
import { buildStack } from './harness.js';

describe('the stack-job runner project', () => {
  it('drops a build queued for more than half the heartbeat: queueing, provisioning and install must fit before the first heartbeat', () => {
    const { stack } = buildStack();
    const projects = Object.values(Template.fromStack(stack).findResources('AWS::CodeBuild::Project'));
    expect(projects).toHaveLength(1);
    const queuedMinutes = (projects[0]!.Properties as { QueuedTimeoutInMinutes: number }).QueuedTimeoutInMinutes;
    expect(queuedMinutes * 60).toBeLessThanOrEqual(STACK_JOB_HEARTBEAT_SECONDS / 2);
  });
});
