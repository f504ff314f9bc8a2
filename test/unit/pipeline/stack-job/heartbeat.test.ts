import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { stateMachineDefinitionPath } from '../../../../lib/local-runtime/package-root.js';
import { DEFAULT_HEARTBEAT_MS } from '../../../../lib/pipeline/stack-job/run-stack-job.js';
import { STACK_JOB_HEARTBEAT_SECONDS } from '../../../../lib/pipeline/stack-job/heartbeat.js';

type State = Record<string, unknown> & { Type: string; Resource?: string; Parameters?: Record<string, unknown> };

/** Every Task of the definition, nested Map states included. */
function tasks(definition: Record<string, unknown>): [string, State][] {
  const found: [string, State][] = [];
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found.push([name, state]);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, State> } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(definition.States as Record<string, State>);
  return found;
}

describe('the stack-job step heartbeat (statemachine/deployment-stage.asl.json and the domain agree)', () => {
  // The file as CDK deploys it (definitionSubstitutions not filled in).
  const definition = JSON.parse(readFileSync(stateMachineDefinitionPath(), 'utf8')) as Record<string, unknown>;
  const launch = tasks(definition).filter(([, state]) => JSON.stringify(state.Parameters ?? {}).includes('${LaunchStackJobFunctionArn}'));

  it('the step that launches the stack job waits for the runner with HeartbeatSeconds = STACK_JOB_HEARTBEAT_SECONDS', () => {
    expect(launch.map(([name]) => name)).toEqual(['Run stack job']);
    const [, state] = launch[0]!;
    expect(state.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(state.HeartbeatSeconds).toBe(STACK_JOB_HEARTBEAT_SECONDS);
  });

  it('the runner beats well within it (several beats per heartbeat timeout)', () => {
    expect(DEFAULT_HEARTBEAT_MS * 5).toBeLessThanOrEqual(STACK_JOB_HEARTBEAT_SECONDS * 1000);
  });
});
