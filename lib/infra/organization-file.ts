import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * What the stack needs from `organization.yaml`: the name (scopes secrets and parameters), the
 * approvers (subscribed to the approval topic) and the per-environment role ARNs (the only roles
 * the runner may assume). The full schema is validated by the functions at run time (DESIGN §1:
 * infra knows only the functions and the workflow), so this reader checks just these fields.
 */
export interface OrganizationFacts {
  /** The file's text, uploaded as-is to `config/organization.yaml`. */
  text: string;
  name: string;
  approvers: string[];
  environmentRoleArns: Record<string, string>;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ORG_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class OrganizationFileError extends Error {
  override readonly name = 'OrganizationFileError';
}

/** Reads the organization file; throws OrganizationFileError naming the file and the path inside it. */
export function readOrganizationFile(file: string): OrganizationFacts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OrganizationFileError(`${file}: cannot read the organization config (${(error as Error).message}); set stageline:organizationConfigFile to an existing file`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new OrganizationFileError(`${file}: not valid YAML (${(error as Error).message})`);
  }
  const root = asRecord(document);
  const name = asRecord(root?.['metadata'])?.['name'];
  if (typeof name !== 'string' || !ORG_NAME.test(name)) {
    throw new OrganizationFileError(`${file}: metadata.name: expected an organization name (a DNS label), got ${JSON.stringify(name)}`);
  }
  const environments = asRecord(root?.['spec'])?.['environments'];
  if (!Array.isArray(environments)) {
    throw new OrganizationFileError(`${file}: spec.environments: expected a list of environments`);
  }
  const approvers = new Set<string>();
  const environmentRoleArns: Record<string, string> = {};
  environments.forEach((entry, index) => {
    const environment = asRecord(entry);
    const envName = environment?.['name'];
    if (typeof envName !== 'string') throw new OrganizationFileError(`${file}: spec.environments[${index}].name: expected a string`);
    const listed = asRecord(environment?.['approval'])?.['approvers'];
    if (Array.isArray(listed)) for (const approver of listed) if (typeof approver === 'string') approvers.add(approver.trim().toLowerCase());
    const roleArn = asRecord(environment?.['credentials'])?.['awsRoleArn'];
    if (roleArn === undefined) return;
    if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn)) {
      throw new OrganizationFileError(`${file}: spec.environments[${index}].credentials.awsRoleArn: expected an IAM role ARN, got ${JSON.stringify(roleArn)}`);
    }
    environmentRoleArns[envName] = roleArn;
  });
  return { text, name, approvers: [...approvers].sort(), environmentRoleArns };
}

/** Throws unless every value is an IAM role ARN (props and context are checked like the file). */
export function assertRoleArns(roleArns: Record<string, string>, source: string): void {
  for (const [env, arn] of Object.entries(roleArns)) {
    if (typeof arn !== 'string' || !ROLE_ARN.test(arn)) {
      throw new OrganizationFileError(`${source}.${env}: expected an IAM role ARN, got ${JSON.stringify(arn)}`);
    }
  }
}

export function assertOrganizationName(name: string, source: string): void {
  if (!ORG_NAME.test(name)) throw new OrganizationFileError(`${source}: expected an organization name (a DNS label), got ${JSON.stringify(name)}`);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
