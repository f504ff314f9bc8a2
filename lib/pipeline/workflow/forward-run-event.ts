import type { ArtifactStore } from '../../ports/artifact-store.js';
import { RUN_EVENT_SUFFIX, type RunEvent } from './run-events.js';
import { notificationFor, type RunNotification } from './run-notifications.js';

/** Where run events go for other tools: EventBridge in AWS. */
export interface RunEventPublisher {
  publish(event: RunEvent): Promise<void>;
}

/** Where people are told (the SNS notifications topic, a Slack webhook). Best effort. */
export interface PeopleNotifier {
  readonly name: string;
  notify(notification: RunNotification, event: RunEvent): Promise<void>;
}

export interface ForwardDeps {
  store: ArtifactStore;
  publisher: RunEventPublisher;
  notifiers: readonly PeopleNotifier[];
  log: (line: string) => void;
}

/** `runs/<runId>/events/<…>.event.json`: the objects forwarded (appendRunEvents writes them). */
const RUN_EVENT_KEY = /^runs\/[^/]+\/events\/[^/]+\.event\.json$/;

export type ForwardOutcome = { forwarded: false; reason: string } | { forwarded: true; detailType: string; runId: string; notified: string[] };

/**
 * The forward-run-events function: a run event was appended to the store (S3 Object Created) →
 * it is put on EventBridge as is, and the ones people are told about (notificationFor) go to each
 * notifier. Publishing failures throw (the invocation is retried, then dead-lettered); a notifier
 * that fails is logged and does not stop the others. An object that is not a run event is ignored.
 */
export async function forwardRunEvent(deps: ForwardDeps, key: string): Promise<ForwardOutcome> {
  if (!RUN_EVENT_KEY.test(key) || !key.endsWith(RUN_EVENT_SUFFIX)) return { forwarded: false, reason: `${key} is not a run event` };
  const object = await deps.store.get(key);
  if (!object) return { forwarded: false, reason: `${key} is gone` };
  let event: RunEvent;
  try {
    event = JSON.parse(object.body) as RunEvent;
  } catch {
    return { forwarded: false, reason: `${key} is not valid JSON` };
  }
  if (event.source !== 'stageline' || typeof event.detailType !== 'string' || typeof event.detail?.runId !== 'string') {
    return { forwarded: false, reason: `${key} is not a Stageline run event` };
  }
  await deps.publisher.publish(event);
  const notification = notificationFor(event);
  const notified: string[] = [];
  if (notification) {
    for (const notifier of deps.notifiers) {
      try {
        await notifier.notify(notification, event);
        notified.push(notifier.name);
      } catch (error) {
        deps.log(`forward-run-events: ${notifier.name} notification for ${event.detail.runId} not sent: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    }
  }
  return { forwarded: true, detailType: event.detailType, runId: event.detail.runId, notified };
}
