import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

/**
 * Where asynchronous failures go instead of being lost: one SQS queue that is
 *
 * - the dead-letter queue of every EventBridge rule target (an event EventBridge could not deliver
 *   to its function within the target's retry policy: throttling, a deleted function, a missing
 *   permission; the message carries the event and `RULE_ARN` / `TARGET_ARN` / `ERROR_CODE` /
 *   `ERROR_MESSAGE` attributes), and
 * - the on-failure destination of every asynchronously invoked function (start-pipeline,
 *   stack-job-watcher, reconcile-execution: an invocation that still failed after Lambda's two
 *   retries; the record carries the event, the function's ARN and its error).
 *
 * An alarm goes off as soon as one message is visible. Messages are kept 14 days (SQS's maximum):
 * read them, fix the cause, and re-send the event (docs/aws.md §10).
 */
export class AsyncFailures extends Construct {
  readonly queue: Queue;
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new Queue(this, 'DeadLetters', {
      // SSE-SQS: EventBridge and Lambda can write with no KMS key policy of ours (a customer
      // managed key would need one for events.amazonaws.com), and nothing here is a secret
      // (events carry ids and digests, DESIGN §5).
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.queue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue (of the EventBridge rule targets and the on-failure destination of the asynchronously invoked functions); cdk-nag only recognises SQS redrive policies and Lambda DeadLetterConfig as DLQ use. Nothing consumes it: people read it when its alarm fires.',
    );
    this.alarm = new Alarm(this, 'MessagesVisible', {
      alarmDescription:
        'Stageline: an event or an asynchronous invocation failed for good (a build that started no run, a run left unreconciled, a stack-job build failure not reported). Read the DeadLetterQueueUrl queue (docs/aws.md §10).',
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
