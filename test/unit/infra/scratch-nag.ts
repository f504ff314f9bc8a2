import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new DeploymentStageStack(app, 'S', { organizationConfigFile: '/work/main/examples/hello-service/.stageline/organization.yaml', functionsDir: '/work/main/test/unit/infra/fixtures/functions', environmentRoleArns: { 'app-production': 'arn:aws:iam::222222222222:role/deployer' } });
const report = new AwsSolutionsChecks(app).validateScope(app);
for (const v of report.violations) for (const r of v.violatingResources) console.log("FIND", r.constructPath, v.ruleName);
