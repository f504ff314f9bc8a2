import { readFileSync } from 'node:fs';
import { stateMachineDefinitionPath } from './package-root.js';

/**
 * The deployment stage's state machine: the very file CDK deploys (DefinitionBody.fromFile),
 * with its `${...FunctionArn}` definitionSubstitutions filled with placeholder ARNs, since every
 * Task state is overridden by a local handler.
 */
export function loadDeploymentStageDefinition(): Record<string, unknown> {
  const text = readFileSync(stateMachineDefinitionPath(), 'utf8').replace(
    /\$\{(\w+)FunctionArn\}/g,
    (_match, name: string) => `arn:aws:lambda:local:000000000000:function:stageline-${name}`,
  );
  return JSON.parse(text) as Record<string, unknown>;
}
