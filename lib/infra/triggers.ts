import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import { EventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface TriggersProps {
  readonly bucket: IBucket;
  readonly startPipeline: IFunction;
  /** Events EventBridge could not deliver to start-pipeline (after its retries) go here. */
  readonly deadLetterQueue: IQueue;
  /** The build systems' IAM principals (role or user ARNs): the only ones that may start a run. Empty: any principal of the account its IAM policies allow. */
  readonly ciPrincipals: readonly string[];
}

/** What only the build systems may do: publish builds and write build records. */
const TRIGGER_ACTIONS = { bus: ['events:PutEvents'], bucket: ['s3:PutObject', 's3:DeleteObject'] };

/**
 * The two ways a build-complete event arrives (DESIGN §5); both start a run the same way. `Build
 * Completed` events go to a dedicated bus (`<stack>-builds`), not the default one: with
 * `ciPrincipals` set, the bus's resource policy and the bucket's (for `builds/`) deny everyone
 * else, so a principal of the account with a broad `events:PutEvents` or `s3:PutObject` grant still
 * cannot start a deployment (an explicit deny in a resource policy wins over any allow).
 */
export class Triggers extends Construct {
  readonly buildCompleted: Rule;
  readonly buildRecordUploaded: Rule;
  /** Where build systems publish `Build Completed` (STAGELINE_EVENT_BUS for the CLI). */
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    // start-pipeline names executions after the event's content, so a retried delivery starts
    // nothing new: retrying is safe. An event still undelivered is kept in the dead-letter queue.
    const target = () => new LambdaFunction(props.startPipeline, { retryAttempts: 8, maxEventAge: Duration.hours(6), deadLetterQueue: props.deadLetterQueue });

    this.bus = new EventBus(this, 'BuildBus', { eventBusName: `${Stack.of(this).stackName}-builds`, description: 'Stageline: Build Completed events of the build systems (ciPrincipals)' });
    this.restrictToBuildSystems(props);

    this.buildCompleted = new Rule(this, 'BuildCompleted', {
      description: 'Stageline: a build system published Build Completed → start the deployment stage',
      eventBus: this.bus,
      eventPattern: { source: ['stageline.build'], detailType: ['Build Completed'] },
      targets: [target()],
    });

    this.buildRecordUploaded = new Rule(this, 'BuildRecordUploaded', {
      description: 'Stageline: builds/<service>/<commit>/build.json was written → start the deployment stage',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: Match.wildcard('builds/*/*/build.json') },
        },
      },
      targets: [target()],
    });
  }

  private restrictToBuildSystems(props: TriggersProps): void {
    const principals = [...new Set(props.ciPrincipals)].sort();
    if (principals.length === 0) {
      Annotations.of(this).addWarning(
        'stageline:ciPrincipals is empty: any principal of the account allowed events:PutEvents on the build bus or s3:PutObject on builds/ can start a deployment (docs/aws.md, "Who may trigger")',
      );
      return;
    }
    const others = { ArnNotEquals: { 'aws:PrincipalArn': principals } };
    // Allow: a build system in another account needs the bus to admit it; same-account ones need only their IAM grant.
    this.bus.addToResourcePolicy(new PolicyStatement({ sid: 'BuildSystemsPublish', principals: principals.map((arn) => new ArnPrincipal(arn)), actions: TRIGGER_ACTIONS.bus, resources: [this.bus.eventBusArn] }));
    this.bus.addToResourcePolicy(new PolicyStatement({ sid: 'NobodyElsePublishes', effect: Effect.DENY, principals: [new AnyPrincipal()], actions: TRIGGER_ACTIONS.bus, resources: [this.bus.eventBusArn], conditions: others }));
    props.bucket.addToResourcePolicy(
      new PolicyStatement({ sid: 'OnlyBuildSystemsWriteBuilds', effect: Effect.DENY, principals: [new AnyPrincipal()], actions: TRIGGER_ACTIONS.bucket, resources: [props.bucket.arnForObjects('builds/*')], conditions: others }),
    );
  }
}
