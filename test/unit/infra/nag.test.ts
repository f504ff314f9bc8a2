import { describe, expect, it } from 'vitest';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { FIXTURE_FUNCTIONS, ORGANIZATION_FILE, testApp } from './harness.js';

/** The app as bin/app.ts builds it: AwsSolutions checks registered, CDK's own template validation on. */
function nagApp(extra?: (stack: Stack) => void) {
  const app = testApp({}, { cloudFormationValidation: true });
  const stack = new DeploymentStageStack(app, 'Stageline', { organizationConfigFile: ORGANIZATION_FILE, functionsDir: FIXTURE_FUNCTIONS });
  extra?.(stack);
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return { app, checks };
}

const findings = (checks: AwsSolutionsChecks, app: ReturnType<typeof testApp>) =>
  checks.validateScope(app).violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, and synthesis passes with the plugin on', () => {
    const { app, checks } = nagApp();
    expect(findings(checks, app)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  it('would fail synthesis on a finding nobody acknowledged (the check is live)', () => {
    const { app, checks } = nagApp((stack) => {
      const role = new Role(stack, 'Careless', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    });
    expect(findings(checks, app)).toEqual(['AwsSolutions-IAM5[Resource::*] at Stageline/Careless/DefaultPolicy/Resource']);
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});
