#!/usr/bin/env node
// The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs it with tsx). Options come from
// cdk.json context (`stageline:*`, see docs/aws.md and lib/infra/deployment-stage-props.ts).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentStageStack } from '../lib/infra/deployment-stage-stack.js';
import { OrganizationFileError } from '../lib/infra/organization-file.js';

const app = new App();
const stackName = (app.node.tryGetContext('stageline:stackName') as string | undefined) ?? 'Stageline';
try {
  new DeploymentStageStack(app, stackName, {
    // Unset: an environment-agnostic template; `cdk deploy` picks the CLI's account and region.
    ...(process.env['CDK_DEFAULT_ACCOUNT'] && process.env['CDK_DEFAULT_REGION']
      ? { env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] } }
      : {}),
  });
} catch (error) {
  // A configuration mistake is one line, not a stack trace (see docs/aws.md §2).
  if (error instanceof OrganizationFileError) {
    console.error(`error: ${error.message}`);
    console.error('hint: e.g. npx cdk deploy -c stageline:organizationConfigFile=config/organization.yaml (docs/aws.md §2)');
    process.exit(1);
  }
  throw error;
}
// Every AwsSolutions finding must be fixed or acknowledged next to its resource with a reason;
// an unacknowledged one fails synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
