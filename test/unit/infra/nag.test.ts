import { beforeAll, describe, expect, it } from 'vitest';
import { Stack, Validations } from 'aws-cdk-lib';
import type { Environment } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { FIXTURE_FUNCTIONS, ORGANIZATION_FILE, testApp } from './harness.js';

/**
 * The two shapes bin/app.ts synthesizes: environment-agnostic (CI, `cdk synth` without
 * credentials) and environment-specific (`cdk deploy` with credentials: the CLI sets
 * CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, and cdk-nag then reports concrete account and region
 * in its finding ids, e.g. `arn:<AWS::Partition>:ssm:eu-west-1:111111111111:parameter/...`).
 */
const SHAPES: { shape: string; env: Environment | undefined }[] = [
  { shape: 'environment-agnostic', env: undefined },
  { shape: 'concrete account and region', env: { account: '111111111111', region: 'eu-west-1' } },
];

/** The app as bin/app.ts builds it, AwsSolutions checks registered (bundling skipped). */
function nagApp(env: Environment | undefined, extra?: (stack: Stack) => void) {
  const app = testApp();
  const stack = new DeploymentStageStack(app, 'Stageline', { organizationConfigFile: ORGANIZATION_FILE, functionsDir: FIXTURE_FUNCTIONS, ...(env ? { env } : {}) });
  extra?.(stack);
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return { app, checks };
}

const findings = (checks: AwsSolutionsChecks, app: ReturnType<typeof testApp>) =>
  checks.validateScope(app).violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));

/** Runs both checks once per app: the plugin's own report and a full synthesis with the plugin registered. */
function check(env: Environment | undefined, extra?: (stack: Stack) => void): { findings: string[]; synthError: unknown } {
  const { app, checks } = nagApp(env, extra);
  const reported = findings(checks, app);
  try {
    app.synth();
    return { findings: reported, synthError: undefined };
  } catch (error) {
    return { findings: reported, synthError: error };
  }
}

describe.each(SHAPES)('cdk-nag AwsSolutions, $shape', ({ env }) => {
  let clean: ReturnType<typeof check>;
  let careless: ReturnType<typeof check>;

  beforeAll(() => {
    clean = check(env);
    careless = check(env, (stack) => {
      const role = new Role(stack, 'Careless', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    });
  });

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
