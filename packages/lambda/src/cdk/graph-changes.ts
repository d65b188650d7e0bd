import {
  Duration,
  aws_lambda_destinations as destinations,
  aws_events as events,
  type aws_lambda as lambda,
  aws_sqs as sqs,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PresenceGraphChanges } from './props.js';

/**
 * The `detail-type`s the graph-changed function reads (the edge's `GRAPH_CHANGE_DETAIL_TYPES`; a
 * test keeps both equal: the construct loads no handler code).
 */
export const GRAPH_CHANGE_DETAIL_TYPES = ['FriendshipChanged', 'SharingSettingsChanged'] as const;

/**
 * How long a change is retried: the longest friend cache TTL (`friendCacheSeconds` ≤ 3600). An
 * older change is moot for the cache, whose entries have expired by then.
 */
export const GRAPH_CHANGE_MAX_AGE = Duration.hours(1);

/** EventBridge's delivery attempts to Lambda (throttling, a service error) within the max age. */
export const GRAPH_CHANGE_DELIVERY_RETRIES = 20;

/** Lambda's retries of a failed asynchronous invocation (its maximum), one and two minutes apart. */
export const GRAPH_CHANGE_INVOKE_RETRIES = 2;

/** What {@link bindGraphChanges} created. */
export interface GraphChangesBinding {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * Routes the user service's events on `options.eventBus` to the graph-changed function.
 *
 * Failures, two layers (EventBridge invokes Lambda asynchronously):
 * - delivery (EventBridge cannot invoke: throttling, a Lambda service error): retried
 *   {@link GRAPH_CHANGE_DELIVERY_RETRIES} times within {@link GRAPH_CHANGE_MAX_AGE}, then the event
 *   goes to the dead-letter queue;
 * - the invocation failed (Redis, PostgreSQL or `@connections` unavailable): Lambda retries it
 *   {@link GRAPH_CHANGE_INVOKE_RETRIES} times within the same age, then sends the invocation record
 *   (the event and the error) to the same queue (an on-failure destination).
 * A malformed event is not a failure: the function logs it at warn and drops it. Both calls the
 * function makes are idempotent, so a retry is safe. The queue keeps messages 14 days, encrypted,
 * TLS only; replay them with `aws events put-events` once the cause is fixed.
 */
export function bindGraphChanges(
  scope: Construct,
  fn: lambda.Function,
  options: PresenceGraphChanges,
): GraphChangesBinding {
  const deadLetterQueue = new sqs.Queue(scope, 'GraphChangesDeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      "This queue is the dead-letter queue itself: of the graph-changes rule's target and the graph-changed function's on-failure destination (cdk-nag recognises only SQS redrive policies as DLQ use). A queue behind it would only move the same messages.",
  });
  fn.configureAsyncInvoke({
    retryAttempts: GRAPH_CHANGE_INVOKE_RETRIES,
    maxEventAge: GRAPH_CHANGE_MAX_AGE,
    onFailure: new destinations.SqsDestination(deadLetterQueue),
  });
  const rule = new events.Rule(scope, 'GraphChangesRule', {
    description: "Presence: the user service's friend-graph changes to the graph-changed function",
    eventBus: options.eventBus,
    eventPattern: {
      ...(options.source === undefined ? {} : { source: [options.source] }),
      detailType: [...GRAPH_CHANGE_DETAIL_TYPES],
    },
    targets: [
      new targets.LambdaFunction(fn, {
        retryAttempts: GRAPH_CHANGE_DELIVERY_RETRIES,
        maxEventAge: GRAPH_CHANGE_MAX_AGE,
        deadLetterQueue,
      }),
    ],
  });
  return { rule, deadLetterQueue };
}
