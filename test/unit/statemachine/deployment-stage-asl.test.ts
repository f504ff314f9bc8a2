import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDeploymentStageDefinition } from '../../../lib/local-runtime/asl.js';

const validateAsl = createRequire(import.meta.url)('asl-validator') as typeof import('asl-validator');

type State = Record<string, unknown> & { Type: string; Resource?: string; Retry?: { ErrorEquals: string[] }[] };

function allStates(definition: Record<string, unknown>): Map<string, State> {
  const states = new Map<string, State>();
  const visit = (container: Record<string, State>) => {
    for (const [name, state] of Object.entries(container)) {
      states.set(name, state);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, State> } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(definition.States as Record<string, State>);
  return states;
}

describe('statemachine/deployment-stage.asl.json', () => {
  const definition = loadDeploymentStageDefinition();
  const states = allStates(definition);
  const tasks = [...states.entries()].filter(([, state]) => state.Type === 'Task');

  it('is valid Amazon States Language (asl-validator)', () => {
    // The validator annotates what it is given: hand it a copy.
    const result = validateAsl(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only (JSONata is silently ignored by the local runtime)', () => {
    expect(JSON.stringify(loadDeploymentStageDefinition())).not.toMatch(/QueryLanguage|\{%/);
  });

  it('retries Lambda service errors on every Lambda task', () => {
    for (const [name, state] of tasks) {
      const retried = (state.Retry ?? []).flatMap((retry) => retry.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.SdkClientException']));
    }
  });

  it('gives every waiting task a timeout from its input (the local runtime would otherwise stop it at 60 s)', () => {
    const waiting = tasks.filter(([, state]) => state.Resource?.endsWith('.waitForTaskToken'));
    expect(waiting.map(([name]) => name).sort()).toEqual(['Run stack job', 'Wait for approval']);
    for (const [name, state] of waiting) expect(state.TimeoutSecondsPath, name).toMatch(/^\$\.Payload\.task\./);
  });

  it('carries keys and digests, never manifests, in waiting steps', () => {
    for (const [, state] of tasks) {
      const payload = JSON.stringify((state.Parameters as { Payload?: unknown } | undefined)?.Payload ?? {});
      expect(payload).not.toMatch(/manifest"|secret/i);
    }
  });
});
