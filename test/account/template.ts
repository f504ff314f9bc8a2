/**
 * A synthesized CloudFormation template, read as CloudFormation would: resources by logical id,
 * intrinsic functions resolved to the physical names and ARNs of one emulated account.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface AccountIdentity {
  accountId: string;
  region: string;
  stackName: string;
  /** The emulated endpoint (SQS queue URLs are built on it). */
  endpoint: string;
}

/** Physical facts of a created resource: its Ref value and attributes (`Arn`, `FunctionUrl`, …). */
export interface Physical {
  ref: string;
  attributes: Record<string, string>;
}

export class UnresolvableError extends Error {}

export class TemplateResolver {
  private readonly physical = new Map<string, Physical>();

  constructor(
    readonly template: CfnTemplate,
    readonly identity: AccountIdentity,
  ) {}

  resources(type: string): Array<[string, CfnResource]> {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  resource(logicalId: string): CfnResource {
    const found = this.template.Resources[logicalId];
    if (!found) throw new UnresolvableError(`no resource ${logicalId} in the template`);
    return found;
  }

  /** Records what a resource is called once it exists (e.g. a secret's ARN with its random suffix). */
  setPhysical(logicalId: string, physical: Physical): void {
    this.physical.set(logicalId, physical);
  }

  physicalOf(logicalId: string): Physical {
    const known = this.physical.get(logicalId);
    if (known) return known;
    const derived = this.derivePhysical(logicalId);
    this.physical.set(logicalId, derived);
    return derived;
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and pseudo parameters, deeply. */
  resolve(value: unknown, where = '$'): unknown {
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${where}[${index}]`));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = object[key];
      switch (key) {
        case 'Ref':
          return this.ref(String(argument), where);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = (Array.isArray(argument) ? argument : String(argument).split('.')) as [string, string];
          return this.getAtt(logicalId, attribute, where);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown[]];
          return (this.resolve(parts, where) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [number, unknown];
          return (this.resolve(list, where) as unknown[])[Number(this.resolve(index, where))];
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, unknown];
          return String(this.resolve(text, where)).split(separator);
        }
        case 'Fn::Sub':
          return this.sub(argument, where);
        default:
          if (key.startsWith('Fn::')) throw new UnresolvableError(`${where}: ${key} is not supported by the emulated account`);
      }
    }
    const resolved: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) resolved[key] = this.resolve(item, `${where}.${key}`);
    return resolved;
  }

  resolveString(value: unknown, where = '$'): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string') throw new UnresolvableError(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private sub(argument: unknown, where: string): string {
    const [text, variables] = (typeof argument === 'string' ? [argument, {}] : argument) as [string, Record<string, unknown>];
    const values = this.resolve(variables, where) as Record<string, unknown>;
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (Object.hasOwn(values, name)) return String(values[name]);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [logicalId, ...attribute] = name.split('.');
        return this.getAtt(logicalId!, attribute.join('.'), where);
      }
      return this.ref(name, where);
    });
  }

  private ref(name: string, where: string): string {
    const { accountId, region, stackName } = this.identity;
    switch (name) {
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Region':
        return region;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue':
        return '';
    }
    if (!this.template.Resources[name]) throw new UnresolvableError(`${where}: Ref to ${name}, which is neither a resource nor a pseudo parameter`);
    return this.physicalOf(name).ref;
  }

  private getAtt(logicalId: string, attribute: string, where: string): string {
    const value = this.physicalOf(logicalId).attributes[attribute];
    if (value === undefined) throw new UnresolvableError(`${where}: Fn::GetAtt ${logicalId}.${attribute} is not known to the emulated account`);
    return value;
  }

  /** The names CloudFormation would generate (deterministic here), or the ones the template sets. */
  private derivePhysical(logicalId: string): Physical {
    const resource = this.resource(logicalId);
    const properties = resource.Properties ?? {};
    const { accountId, region, stackName } = this.identity;
    const generated = (max: number) => `${stackName}-${logicalId}`.slice(0, max);
    const named = (property: string, max: number) => (properties[property] !== undefined ? this.resolveString(properties[property], `${logicalId}.${property}`) : generated(max));
    switch (resource.Type) {
      case 'AWS::S3::Bucket': {
        const name = properties['BucketName'] !== undefined ? this.resolveString(properties['BucketName']) : `${stackName}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63);
        return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` } };
      }
      case 'AWS::IAM::Role': {
        const name = named('RoleName', 64);
        return { ref: name, attributes: { Arn: `arn:aws:iam::${accountId}:role/${name}`, RoleId: `AROA${logicalId.slice(0, 16).toUpperCase()}` } };
      }
      case 'AWS::IAM::Policy':
        return { ref: named('PolicyName', 128), attributes: {} };
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName', 64);
        return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${accountId}:function:${name}` } };
      }
      case 'AWS::SNS::Topic': {
        const name = named('TopicName', 256);
        const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      }
      case 'AWS::SQS::Queue': {
        const name = named('QueueName', 80);
        return { ref: `${this.identity.endpoint}/${accountId}/${name}`, attributes: { Arn: `arn:aws:sqs:${region}:${accountId}:${name}`, QueueName: name, QueueUrl: `${this.identity.endpoint}/${accountId}/${name}` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName', 512);
        return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}:*` } };
      }
      case 'AWS::CodeBuild::Project': {
        const name = named('Name', 150);
        return { ref: name, attributes: { Arn: `arn:aws:codebuild:${region}:${accountId}:project/${name}` } };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named('StateMachineName', 80);
        const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
        return { ref: arn, attributes: { Arn: arn, Name: name } };
      }
      case 'AWS::Events::Rule': {
        const name = named('Name', 64);
        return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${accountId}:rule/${name}` } };
      }
      case 'AWS::Events::EventBus': {
        const name = named('Name', 256);
        return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${accountId}:event-bus/${name}`, Name: name } };
      }
      case 'AWS::SSM::Parameter': {
        const name = named('Name', 1011);
        return { ref: name, attributes: { Type: 'String' } };
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = named('AlarmName', 255);
        return { ref: name, attributes: { Arn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${name}` } };
      }
      default:
        return { ref: generated(128), attributes: {} };
    }
  }
}
