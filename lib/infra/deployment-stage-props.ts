import { Duration } from 'aws-cdk-lib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** The repository root (lib/infra/ → ../..): where `functions/`, `statemachine/` and `package-lock.json` live. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Options of the DeploymentStage stack. Every option can also be set as cdk.json context under
 * the key named in its documentation (`stageline:<name>`); a prop wins over context.
 */
export interface DeploymentStageProps extends StackProps {
  /**
   * The organization configuration (`organization.yaml`, DESIGN §2) put at
   * `config/organization.yaml` in the bucket on every deploy. Its `metadata.name` names the
   * organization; its approvers and `credentials.awsRoleArn` feed the options below unless those
   * are given explicitly. A path relative to the current directory.
   *
   * Context: `stageline:organizationConfigFile`.
   * @default - none: nothing is uploaded (upload `config/organization.yaml` yourself), and
   *            `organizationName` is required
   */
  readonly organizationConfigFile?: string;

  /**
   * The organization's name: scopes what the stack-job runner may read to Secrets Manager
   * secrets `stageline/<org>/*` and SSM parameters `/stageline/<org>/*`.
   *
   * Context: `stageline:organizationName`.
   * @default - `metadata.name` of `organizationConfigFile`
   */
  readonly organizationName?: string;

  /**
   * Role ARN per environment that the runner assumes for that environment's stack jobs (one AWS
   * account per environment). The runner may assume exactly these roles and nothing else.
   *
   * Context: `stageline:environmentRoleArns` (an object).
   * @default - the `credentials.awsRoleArn` of each environment in `organizationConfigFile`;
   *            none when there is no file
   */
  readonly environmentRoleArns?: Record<string, string>;

  /**
   * Email addresses subscribed to the approval topic (each confirms the subscription once).
   * Subscriptions only deliver notices; the personal signed links are in each message.
   *
   * Context: `stageline:approverEmails` (an array).
   * @default - every approver named in `organizationConfigFile`
   */
  readonly approverEmails?: string[];

  /**
   * Days after which objects under `runs/` expire (run records, rendered manifests, task
   * records). Noncurrent versions of every object expire after the same number of days.
   *
   * Context: `stageline:runRetentionDays`.
   * @default 90
   */
  readonly runRetentionDays?: number;

  /**
   * Days to keep the bucket's server access logs.
   *
   * Context: `stageline:accessLogRetentionDays`.
   * @default 365
   */
  readonly accessLogRetentionDays?: number;

  /**
   * Slack incoming-webhook URL for approval notices, in addition to email. It ends up in the
   * functions' environment: treat it as a low-value secret.
   *
   * Context: `stageline:slackWebhookUrl`.
   * @default - no Slack notices
   */
  readonly slackWebhookUrl?: string;

  /**
   * Shell commands the CodeBuild runner runs before `stageline stack-job run`: install the
   * provisioners' tools (e.g. Pulumi) here.
   *
   * Context: `stageline:runnerInstallCommands` (an array).
   * @default []
   */
  readonly runnerInstallCommands?: string[];

  /**
   * Minutes after which CodeBuild stops a stack job. Keep it at least the organization's
   * `stackJobs.timeout` (the workflow times the task out at that point anyway).
   *
   * Context: `stageline:runnerTimeoutMinutes`.
   * @default 60
   */
  readonly runnerTimeoutMinutes?: number;

  /**
   * Days to keep Lambda, Step Functions and CodeBuild logs.
   *
   * Context: `stageline:logRetentionDays`.
   * @default 90
   */
  readonly logRetentionDays?: number;

  /**
   * Reserved concurrency of the public approval function (its URL is on the internet: a flood of
   * requests then cannot take the concurrency the workflow steps need). Lambda keeps 10 of an
   * account's concurrency unreserved, and a new account's quota is often only 10, so nothing is
   * reserved unless this is set.
   *
   * Context: `stageline:approvalReservedConcurrency`.
   * @default - none: the approval function shares the account's unreserved concurrency
   */
  readonly approvalReservedConcurrency?: number;

  /**
   * The IAM principals (role or user ARNs) of the build systems allowed to start deployments:
   * only they may put events on the Stageline build bus and write `builds/` in the bucket
   * (explicit denies for everyone else, in the bus's and the bucket's resource policies).
   * Empty: any principal of the account whose IAM policies allow it (documented as the
   * unauthenticated mode; synthesis warns).
   *
   * Context: `stageline:ciPrincipals` (an array).
   * @default []
   */
  readonly ciPrincipals?: string[];

  /**
   * Directory holding one folder per Lambda (`<name>/index.ts`). Tests point it at fixtures.
   *
   * Context: `stageline:functionsDir`.
   * @default `<repo>/functions`
   */
  readonly functionsDir?: string;

  /**
   * The workflow definition (Amazon States Language, JSONPath).
   *
   * Context: `stageline:definitionFile`.
   * @default `<repo>/statemachine/deployment-stage.asl.json`
   */
  readonly definitionFile?: string;
}

/** Props with every default applied (the organization file already read). */
export interface ResolvedDeploymentStageProps {
  organizationConfigFile: string | undefined;
  organizationName: string;
  environmentRoleArns: Record<string, string>;
  approverEmails: string[];
  runRetentionDays: number;
  accessLogRetentionDays: number;
  slackWebhookUrl: string | undefined;
  runnerInstallCommands: string[];
  runnerTimeout: Duration;
  logRetentionDays: number;
  approvalReservedConcurrency: number | undefined;
  ciPrincipals: string[];
  functionsDir: string;
  definitionFile: string;
}

/** Context keys, one per prop: `stageline:<prop>`. */
export const CONTEXT_PREFIX = 'stageline:';

type ContextKey = Exclude<keyof DeploymentStageProps, keyof StackProps>;

/** A prop, else its context value (cdk.json or `-c`), else undefined. `-c` values arrive as strings: JSON is parsed. */
export function propOrContext<K extends ContextKey>(scope: Construct, props: DeploymentStageProps, key: K): DeploymentStageProps[K] {
  if (props[key] !== undefined) return props[key];
  const raw: unknown = scope.node.tryGetContext(`${CONTEXT_PREFIX}${key}`);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'string' && /^[[{]|^\d+$/.test(raw.trim())) {
    try {
      return JSON.parse(raw) as DeploymentStageProps[K];
    } catch {
      // Not JSON: keep the string as given.
    }
  }
  return raw as DeploymentStageProps[K];
}
