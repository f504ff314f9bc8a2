import { describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import type { DeploymentStageProps } from '../../../lib/infra/deployment-stage-props.js';
import { FIXTURE_FUNCTIONS, ORGANIZATION_FILE, PRODUCTION_ROLE, testApp } from './harness.js';

/** A stack configured the way cdk.json does it: context only (plus the test fixtures). */
function fromContext(context: Record<string, unknown>, props: DeploymentStageProps = {}): DeploymentStageStack {
  return new DeploymentStageStack(testApp({ 'stageline:functionsDir': FIXTURE_FUNCTIONS, ...context }), 'Stageline', props);
}

describe('stack options', () => {
  it('read the organization file named in context: name, approvers, environment roles', () => {
    const stack = fromContext({ 'stageline:organizationConfigFile': ORGANIZATION_FILE });
    expect(stack.settings.organizationName).toBe('acme');
    expect(stack.settings.approverEmails).toEqual(['lead@acme.io', 'ops@acme.io']);
    expect(stack.settings.environmentRoleArns).toEqual({ 'app-staging': 'arn:aws:iam::333333333333:role/stageline-deployer', 'app-production': PRODUCTION_ROLE });
    expect(stack.settings.runRetentionDays).toBe(90);
  });

  it('work without a file when the organization is named; nothing is uploaded then', () => {
    const stack = fromContext({ 'stageline:organizationName': 'globex', 'stageline:runRetentionDays': '14', 'stageline:environmentRoleArns': `{"prod":"${PRODUCTION_ROLE}"}` });
    expect(stack.settings).toMatchObject({ organizationName: 'globex', runRetentionDays: 14, environmentRoleArns: { prod: PRODUCTION_ROLE }, approverEmails: [] });
    expect(Template.fromStack(stack).findResources('Custom::AWS')).toEqual({});
  });

  it('prefer a prop over context', () => {
    const stack = fromContext({ 'stageline:organizationConfigFile': ORGANIZATION_FILE, 'stageline:runRetentionDays': 14 }, { runRetentionDays: 7, approverEmails: ['x@acme.io'] });
    expect(stack.settings.runRetentionDays).toBe(7);
    expect(stack.settings.approverEmails).toEqual(['x@acme.io']);
  });

  it('refuse a stack with no organization, naming the keys to set', () => {
    expect(() => fromContext({})).toThrow(/stageline:organizationConfigFile .* or stageline:organizationName/);
  });

  it('refuse a role that is not an IAM role ARN, and a name that contradicts the file', () => {
    expect(() => fromContext({ 'stageline:organizationName': 'acme', 'stageline:environmentRoleArns': { prod: 'arn:aws:iam::1:user/x' } })).toThrow(
      /stageline:environmentRoleArns\.prod: expected an IAM role ARN/,
    );
    expect(() => fromContext({ 'stageline:organizationConfigFile': ORGANIZATION_FILE, 'stageline:organizationName': 'globex' })).toThrow(/names "acme"/);
    expect(() => fromContext({ 'stageline:organizationConfigFile': '/nonexistent/organization.yaml' })).toThrow(/cannot read the organization config/);
  });
});
