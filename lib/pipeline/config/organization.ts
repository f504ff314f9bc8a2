import * as z from 'zod/mini';
import { parseDuration } from '../duration.js';
import { STACK_JOB_HEARTBEAT_SECONDS } from '../stack-job/heartbeat.js';
import { API_VERSION, dnsLabel, duration, email } from './common.js';
import { parseConfigYaml } from './parse-config.js';

/** Approval timeout when the organization does not set one. */
export const DEFAULT_APPROVAL_TIMEOUT = '72h';

/** Stack-job timeout when the organization does not set one. */
export const DEFAULT_STACK_JOB_TIMEOUT = '1h';

const approvalSchema = z
  .strictObject({
    /** Whether every deployment to this environment waits for approval. Default false. */
    required: z._default(z.boolean(), false),
    /** Who may approve (email addresses). Required when `required` is true. */
    approvers: z._default(z.array(email), []),
    /** Distinct approvals needed. Default 1. */
    minApprovals: z._default(z.int().check(z.minimum(1)), 1),
    /** How long a gate waits before the task times out. Default 72h. */
    timeout: z._default(duration, DEFAULT_APPROVAL_TIMEOUT),
  })
  .check(
    z.superRefine((approval, context) => {
      if (approval.required && approval.approvers.length === 0) {
        context.addIssue({ code: 'custom', path: ['approvers'], message: 'expected at least one approver when approval is required' });
      }
      if (approval.approvers.length > 0 && approval.minApprovals > approval.approvers.length) {
        context.addIssue({
          code: 'custom',
          path: ['minApprovals'],
          message: `expected at most ${approval.approvers.length} (the number of approvers), got ${approval.minApprovals}`,
        });
      }
    }),
  );

const environmentSchema = z.strictObject({
  name: dnsLabel('an environment name'),
  approval: z.optional(approvalSchema),
  credentials: z.optional(
    z.strictObject({ awsRoleArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: 'expected an IAM role ARN' }))) }),
  ),
});

const provisionerSchema = z.strictObject({ preview: z.optional(z.string()), apply: z.string() });

export const organizationSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `expected "${API_VERSION}"` }),
  kind: z.literal('Organization', { error: 'expected "Organization"' }),
  metadata: z.looseObject({ name: dnsLabel('an organization name') }),
  spec: z.strictObject({
    /** The promotion order, first to last. */
    environments: z.array(environmentSchema).check(
      z.minLength(1, { error: 'expected at least one environment' }),
      z.superRefine((environments, context) => {
        const seen = new Set<string>();
        environments.forEach((environment, index) => {
          if (seen.has(environment.name)) {
            context.addIssue({ code: 'custom', path: [index, 'name'], message: `environment "${environment.name}" is listed twice` });
          }
          seen.add(environment.name);
        });
      }),
    ),
    stackJobs: z._default(
      z
        .strictObject({
          runner: z._default(z.enum(['codebuild', 'local']), 'codebuild'),
          provisioners: z._default(z.record(z.string(), provisionerSchema), {}),
          /**
           * How long one stack job (queueing, install, preview + apply) may run before the task times
           * out. Default 1h; with the CodeBuild runner it must exceed the step's heartbeat timeout
           * (STACK_JOB_HEARTBEAT_SECONDS). Local runs have no heartbeat timeout (the local runtime
           * ignores HeartbeatSeconds), so a short local timeout is fine.
           */
          timeout: z._default(duration, DEFAULT_STACK_JOB_TIMEOUT),
        })
        .check(
          z.superRefine((stackJobs, context) => {
            const seconds = parseDuration(stackJobs.timeout);
            if (stackJobs.runner !== 'codebuild' || seconds === undefined || seconds > STACK_JOB_HEARTBEAT_SECONDS) return;
            context.addIssue({
              code: 'custom',
              path: ['timeout'],
              message: `expected more than ${formatSeconds(STACK_JOB_HEARTBEAT_SECONDS)} (${STACK_JOB_HEARTBEAT_SECONDS} s, the stack-job step's HeartbeatSeconds in statemachine/deployment-stage.asl.json, which the CodeBuild runner must outlive), got ${stackJobs.timeout}`,
            });
          }),
        ),
      { runner: 'codebuild', provisioners: {}, timeout: DEFAULT_STACK_JOB_TIMEOUT },
    ),
  }),
});

export type OrganizationConfig = z.output<typeof organizationSchema>;
export type OrganizationEnvironment = OrganizationConfig['spec']['environments'][number];

/** Parses `organization.yaml` text; `file` is the name used in error messages. Throws ConfigError. */
export function parseOrganization(text: string, file: string): OrganizationConfig {
  return parseConfigYaml(organizationSchema, text, file, 'see the Configuration section of the README (examples/hello-service/.stageline/organization.yaml is a complete one)');
}

/** The environment names in promotion order. */
export function environmentNames(organization: OrganizationConfig): string[] {
  return organization.spec.environments.map((environment) => environment.name);
}

/** The approval the organization requires on `environment`, with its timeout in seconds; undefined if none. */
export function requiredApproval(environment: OrganizationEnvironment): { approvers: string[]; minApprovals: number; timeoutSeconds: number } | undefined {
  const approval = environment.approval;
  if (!approval?.required) return undefined;
  return { approvers: approval.approvers, minApprovals: approval.minApprovals, timeoutSeconds: parseDuration(approval.timeout)! };
}

/** 600 → `10m`, 5400 → `1h30m` (the duration syntax of the config files). */
function formatSeconds(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.join('') || '0s';
}
