import { beforeAll, describe, expect, it } from 'vitest';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { FIXTURE_FUNCTIONS, ORGANIZATION_FILE, testApp } from './harness.js';

/** The app as bin/app.ts builds it, AwsSolutions checks registered (bundling skipped). */
function nagApp(extra?: (stack: Stack) => void) {
  const app = testApp();
  const stack = new DeploymentStageStack(app, 'Stageline', { organizationConfigFile: ORGANIZATION_FILE, functionsDir: FIXTURE_FUNCTIONS });
  extra?.(stack);
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return { app, checks };
}

const findings = (checks: AwsSolutionsChecks, app: ReturnType<typeof testApp>) =>
  checks.validateScope(app).violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));

/** Runs both checks once per app: the plugin's own report and a full synthesis with the plugin registered. */
function check(extra?: (stack: Stack) => void): { findings: string[]; synthError: unknown } {
  const { app, checks } = nagApp(extra);
  const reported = findings(checks, app);
  try {
    app.synth();
    return { findings: reported, synthError: undefined };
  } catch (error) {
    return { findings: reported, synthError: error };
  }
}

let clean: ReturnType<typeof check>;
let careless: ReturnType<typeof check>;

beforeAll(() => {
  clean = check();
  careless = check((stack) => {
    const role = new Role(stack, 'Careless', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding on the stack', () => {
    expect(clean.findings).toEqual([]);
  });

  it('lets synthesis pass with the plugin registered', () => {
    expect(clean.synthError).toBeUndefined();
  });

  it('would fail synthesis on a finding nobody acknowledged (the check is live)', () => {
    expect(careless.findings).toEqual(['AwsSolutions-IAM5[Resource::*] at Stageline/Careless/DefaultPolicy/Resource']);
    expect(String(careless.synthError)).toMatch(/AwsSolutions-IAM5/);
  });
});
