import { Duration } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
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
}

/** The two ways a build-complete event arrives (DESIGN §5); both start a run the same way. */
export class Triggers extends Construct {
  readonly buildCompleted: Rule;
  readonly buildRecordUploaded: Rule;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    // start-pipeline names executions after the event's content, so a retried delivery starts
    // nothing new: retrying is safe. An event still undelivered is kept in the dead-letter queue.
    const target = () => new LambdaFunction(props.startPipeline, { retryAttempts: 8, maxEventAge: Duration.hours(6), deadLetterQueue: props.deadLetterQueue });

    this.buildCompleted = new Rule(this, 'BuildCompleted', {
      description: 'Stageline: a build system published Build Completed → start the deployment stage',
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
}
