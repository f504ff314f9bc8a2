/**
 * A synthesized DeploymentStage template read as one emulated AWS account: intrinsics (Ref,
 * Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, the AWS:: pseudo parameters) resolved to
 * the concrete names and ARNs CloudFormation would give the resources there, and each role's
 * policies (AWS::IAM::Policy / AWS::IAM::ManagedPolicy attached to it, and its inline Policies)
 * as plain policy documents.
 */

export interface EmulatedAccount {
  partition: string;
  region: string;
  accountId: string;
  stackName: string;
}

export const EMULATED_ACCOUNT: EmulatedAccount = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012', stackName: 'Stageline' };

export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
  Parameters?: Record<string, { Default?: unknown }>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[] | Record<string, unknown>;
}

/**
 * A name CloudFormation would generate for a resource without an explicit one (lower case, like a
 * bucket's): stack name, logical id and a random suffix, shortened to the service's limit as
 * CloudFormation shortens them.
 */
const generatedName = (account: EmulatedAccount, logicalId: string, lowerCase = false, maxLength = 255) => {
  const suffix = '-a1b2c3d4';
  const name = `${`${account.stackName}-${logicalId}`.slice(0, maxLength - suffix.length)}${suffix}`;
  return lowerCase ? name.toLowerCase() : name;
};

/** Name length limits of the services (a generated name is shortened to fit). */
const NAME_LIMITS: Record<string, number> = {
  'AWS::S3::Bucket': 63,
  'AWS::IAM::Role': 64,
  'AWS::Lambda::Function': 64,
  'AWS::SQS::Queue': 80,
  'AWS::StepFunctions::StateMachine': 80,
  'AWS::Events::Rule': 64,
  'AWS::CodeBuild::Project': 150,
  'AWS::SNS::Topic': 256,
};

/** What a resource is called once it exists, where the account (not the template) decides: a secret's random suffix, a queue's URL. */
export interface KnownPhysical {
  ref?: string;
  attributes?: Record<string, string>;
}

/** Secrets Manager appends "-" and six random characters to a secret's name in its ARN. */
export const SECRET_ARN_SUFFIX = '-AbC123';

export class TemplateAccount {
  private readonly known = new Map<string, KnownPhysical>();

  constructor(
    readonly template: TemplateJson,
    readonly account: EmulatedAccount = EMULATED_ACCOUNT,
  ) {}

  /** Records what the account named a resource (used by Ref / Fn::GetAtt from now on). */
  override(logicalId: string, physical: KnownPhysical): void {
    this.known.set(logicalId, { ...this.known.get(logicalId), ...physical, attributes: { ...this.known.get(logicalId)?.attributes, ...physical.attributes } });
  }

  /** {@link resolve}, for a value that must be a string. */
  resolveString(value: unknown, where = 'a template value'): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`TemplateAccount: ${where}: expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  resource(logicalId: string) {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource;
  }

  resourcesOfType(type: string): [string, { Type: string; Properties?: Record<string, unknown> }][] {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  /** What `Ref` answers for a resource, in this account. */
  ref(logicalId: string): string {
    if (logicalId.startsWith('AWS::')) return this.pseudo(logicalId);
    const parameter = this.template.Parameters?.[logicalId];
    if (parameter) return String(parameter.Default ?? '');
    const knownRef = this.known.get(logicalId)?.ref;
    if (knownRef !== undefined) return knownRef;
    const { Type: type, Properties: props = {} } = this.resource(logicalId);
    const { partition, region, accountId } = this.account;
    const named = (property: string, lowerCase = false) =>
      props[property] !== undefined ? this.resolveString(props[property], `${logicalId}.${property}`) : generatedName(this.account, logicalId, lowerCase, NAME_LIMITS[type]);
    switch (type) {
      case 'AWS::S3::Bucket':
        return named('BucketName', true);
      case 'AWS::SecretsManager::Secret':
        return `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${named('Name')}${SECRET_ARN_SUFFIX}`;
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${region}:${accountId}:${named('TopicName')}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${named('QueueName')}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${partition}:states:${region}:${accountId}:stateMachine:${named('StateMachineName')}`;
      case 'AWS::CodeBuild::Project':
        return named('Name');
      case 'AWS::IAM::Role':
        return named('RoleName');
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${partition}:iam::${accountId}:policy/${named('ManagedPolicyName')}`;
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName');
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::Events::Rule':
        return named('Name');
      case 'AWS::Events::EventBus':
        return named('Name');
      case 'AWS::CloudWatch::Alarm':
        return named('AlarmName');
      case 'AWS::SSM::Parameter':
        return named('Name');
      case 'AWS::KMS::Key':
        return '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
      default:
        throw new Error(`TemplateAccount: no Ref for ${type} (${logicalId}) yet: add it in test/support/template-account.ts`);
    }
  }

  /** What `Fn::GetAtt` answers for a resource attribute, in this account. */
  getAtt(logicalId: string, attribute: string): string {
    const knownAttribute = this.known.get(logicalId)?.attributes?.[attribute];
    if (knownAttribute !== undefined) return knownAttribute;
    const { Type: type } = this.resource(logicalId);
    const { partition, region, accountId } = this.account;
    const ref = () => this.ref(logicalId);
    const key = `${type}.${attribute}`;
    switch (key) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:${partition}:s3:::${ref()}`;
      case 'AWS::S3::Bucket.DomainName':
        return `${ref()}.s3.amazonaws.com`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${ref()}.s3.${region}.amazonaws.com`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${accountId}:role/${ref()}`;
      case 'AWS::IAM::Role.RoleId':
        return `AROA${logicalId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 17)}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${partition}:logs:${region}:${accountId}:log-group:${ref()}:*`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${partition}:lambda:${region}:${accountId}:function:${ref()}`;
      case 'AWS::Lambda::Url.FunctionUrl':
        return `https://${logicalId.toLowerCase().slice(0, 20)}.lambda-url.${region}.on.aws/`;
      case 'AWS::Lambda::Url.FunctionArn':
        return this.resolve((this.resource(logicalId).Properties ?? {})['TargetFunctionArn']) as string;
      case 'AWS::CodeBuild::Project.Arn':
        return `arn:${partition}:codebuild:${region}:${accountId}:project/${ref()}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref();
      case 'AWS::StepFunctions::StateMachine.Name':
        return ref().split(':').pop()!;
      case 'AWS::SNS::Topic.TopicArn':
        return ref();
      case 'AWS::SNS::Topic.TopicName':
        return ref().split(':').pop()!;
      case 'AWS::SQS::Queue.Arn':
        return `arn:${partition}:sqs:${region}:${accountId}:${ref().split('/').pop()}`;
      case 'AWS::SQS::Queue.QueueName':
        return ref().split('/').pop()!;
      case 'AWS::SQS::Queue.QueueUrl':
        return ref();
      case 'AWS::SecretsManager::Secret.Id':
        return ref();
      case 'AWS::Events::Rule.Arn':
        return `arn:${partition}:events:${region}:${accountId}:rule/${ref()}`;
      case 'AWS::Events::EventBus.Arn':
        return `arn:${partition}:events:${region}:${accountId}:event-bus/${ref()}`;
      case 'AWS::CloudWatch::Alarm.Arn':
        return `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${ref()}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${partition}:kms:${region}:${accountId}:key/${ref()}`;
      default:
        throw new Error(`TemplateAccount: no Fn::GetAtt ${key} (${logicalId}) yet: add it in test/support/template-account.ts`);
    }
  }

  private pseudo(name: string): string {
    const { partition, region, accountId, stackName } = this.account;
    switch (name) {
      case 'AWS::Partition':
        return partition;
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue':
        return '';
      default:
        throw new Error(`TemplateAccount: unknown pseudo parameter ${name}`);
    }
  }

  /** Any template value with every intrinsic replaced by its value in this account. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (typeof value !== 'object' || value === null) return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const argument = object[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(argument as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(argument) ? (argument as [string, string]) : ((argument as string).split(/\.(.*)/s) as [string, string]);
          return this.getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, unknown];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, variables = {}] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [argument as string, {}];
          return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
            if (name in variables) return String(this.resolve(variables[name]));
            const [id, attribute] = name.split(/\.(.*)/s) as [string, string | undefined];
            return attribute ? this.getAtt(id, attribute) : this.ref(id);
          });
        }
        case 'Fn::ImportValue':
        case 'Fn::If':
        case 'Fn::FindInMap':
        case 'Fn::GetAZs':
        case 'Fn::Base64':
        case 'Fn::Cidr':
          throw new Error(`TemplateAccount: ${fn} is not resolved yet: add it in test/support/template-account.ts`);
      }
    }
    return Object.fromEntries(keys.map((key) => [key, this.resolve(object[key])]));
  }

  /**
   * The policies in force for a role: its inline `Policies`, every AWS::IAM::Policy and
   * AWS::IAM::ManagedPolicy that names it in `Roles`, resolved. AWS managed policies
   * (`ManagedPolicyArns`) are not in the template: they are returned by ARN, for the caller to
   * decide.
   */
  rolePolicies(roleLogicalId: string): { name: string; document: PolicyDocument }[] & { managedPolicyArns?: string[] } {
    const role = this.resource(roleLogicalId);
    if (role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is a ${role.Type}, not an AWS::IAM::Role`);
    const policies: { name: string; document: PolicyDocument }[] & { managedPolicyArns?: string[] } = [];
    const inline = (role.Properties?.['Policies'] ?? []) as { PolicyName: unknown; PolicyDocument: unknown }[];
    for (const policy of inline) policies.push({ name: String(this.resolve(policy.PolicyName)), document: this.resolve(policy.PolicyDocument) as PolicyDocument });
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles = (resource.Properties?.['Roles'] ?? []) as unknown[];
      if (!roles.some((entry) => typeof entry === 'object' && entry !== null && (entry as { Ref?: string }).Ref === roleLogicalId)) continue;
      policies.push({ name: id, document: this.resolve(resource.Properties!['PolicyDocument']) as PolicyDocument });
    }
    const managed = this.resolve(role.Properties?.['ManagedPolicyArns'] ?? []) as string[];
    const ownManaged = new Set(this.resourcesOfType('AWS::IAM::ManagedPolicy').map(([id]) => this.ref(id)));
    policies.managedPolicyArns = managed.filter((arn) => !ownManaged.has(arn));
    return policies;
  }

  /** The resource policy (bucket policy, topic policy, ...) of the resource an ARN names, if the template has one. */
  resourcePolicyFor(arn: string): PolicyDocument | undefined {
    for (const [, resource] of this.resourcesOfType('AWS::S3::BucketPolicy')) {
      const bucket = this.resolve(resource.Properties!['Bucket']) as string;
      if (arn === `arn:${this.account.partition}:s3:::${bucket}` || arn.startsWith(`arn:${this.account.partition}:s3:::${bucket}/`)) {
        return this.resolve(resource.Properties!['PolicyDocument']) as PolicyDocument;
      }
    }
    for (const [, resource] of this.resourcesOfType('AWS::SNS::TopicPolicy')) {
      const topics = this.resolve(resource.Properties!['Topics']) as string[];
      if (topics.includes(arn)) return this.resolve(resource.Properties!['PolicyDocument']) as PolicyDocument;
    }
    return undefined;
  }
}
