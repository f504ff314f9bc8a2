import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import type { DeploymentStageProps } from '../../../lib/infra/deployment-stage-props.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Entries that exist but are never bundled (bundling is skipped): the stack tests do not wait for functions/. */
export const FIXTURE_FUNCTIONS = join(here, 'fixtures', 'functions');
export const ORGANIZATION_FILE = join(here, 'fixtures', 'organization.yaml');
export const PRODUCTION_ROLE = 'arn:aws:iam::222222222222:role/stageline-deployer';
export const STAGING_ROLE = 'arn:aws:iam::333333333333:role/stageline-deployer';

/**
 * An app that skips asset bundling (< 0.5 s per stack instead of many seconds) and CDK's
 * built-in CloudFormation validation (seconds on first use); the cdk-nag test turns it back on.
 */
export function testApp(context: Record<string, unknown> = {}, options: { cloudFormationValidation?: boolean } = {}): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: options.cloudFormationValidation ?? false });
}

/** The stack as `cdk synth` would build it from the fixture organization, plus overrides. */
export function buildStack(props: DeploymentStageProps = {}, context: Record<string, unknown> = {}): { app: App; stack: DeploymentStageStack } {
  const app = testApp(context);
  const stack = new DeploymentStageStack(app, 'Stageline', { organizationConfigFile: ORGANIZATION_FILE, functionsDir: FIXTURE_FUNCTIONS, ...props });
  return { app, stack };
}

export function synthesize(props: DeploymentStageProps = {}, context: Record<string, unknown> = {}): { stack: DeploymentStageStack; template: Template } {
  const { stack } = buildStack(props, context);
  return { stack, template: Template.fromStack(stack) };
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every Allow statement of every IAM policy, with the logical ids of the roles it is attached to. */
export function allowStatements(template: Template): { policy: string; roles: string[]; statement: Statement }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) => {
    const properties = resource['Properties'] as { PolicyDocument: { Statement: Statement[] }; Roles?: { Ref: string }[] };
    const roles = (properties.Roles ?? []).map((role) => role.Ref);
    return properties.PolicyDocument.Statement.filter((statement) => statement.Effect === 'Allow').map((statement) => ({ policy, roles, statement }));
  });
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(stack: DeploymentStageStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** A resource value rendered as text (`<Logical.Arn>/runs/*`), to compare ARNs built from tokens. */
export function renderResource(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if (object['Fn::GetAtt']) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    return `<${id}.${attribute}>`;
  }
  if (object['Ref']) return `<${object['Ref'] as string}>`;
  if (object['Fn::Join']) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(renderResource).join(separator);
  }
  return JSON.stringify(value);
}
