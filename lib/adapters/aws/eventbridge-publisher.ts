import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StagelineError } from '../../errors.js';
import type { BuildEvent } from '../../pipeline/workflow/records.js';

export const BUILD_EVENT_SOURCE = 'stageline.build';
export const BUILD_EVENT_DETAIL_TYPE = 'Build Completed';

/** The event bus refused the event. */
export class EventPublishError extends StagelineError {
  constructor(message: string) {
    super('EVENT_PUBLISH_FAILED', message, { hint: 'check the event bus name and that your credentials may events:PutEvents on it' });
  }
}

/** Publishes the `Build Completed` event (DESIGN §5) that starts a run: what a build system, or `stageline deploy`, sends. */
export class EventBridgePublisher {
  private readonly client: EventBridgeClient;

  constructor(private readonly options: { eventBusName?: string; client?: EventBridgeClient } = {}) {
    this.client = options.client ?? new EventBridgeClient({});
  }

  async publishBuildCompleted(build: BuildEvent): Promise<{ eventId: string }> {
    const response = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: BUILD_EVENT_SOURCE,
            DetailType: BUILD_EVENT_DETAIL_TYPE,
            Detail: JSON.stringify(build),
            ...(this.options.eventBusName ? { EventBusName: this.options.eventBusName } : {}),
          },
        ],
      }),
    );
    const entry = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
      throw new EventPublishError(`the Build Completed event for ${build.service} ${build.commitSha.slice(0, 12)} was refused: ${entry?.ErrorCode ?? 'no event id'}${entry?.ErrorMessage ? ` (${entry.ErrorMessage})` : ''}`);
    }
    return { eventId: entry.EventId };
  }
}
