import { StagelineError } from '../errors.js';

/**
 * A kustomization could not be built. The message text follows kustomize's own wording, so a
 * user searching for it (or comparing with `kustomize build`) finds the same thing.
 */
export class KustomizeError extends StagelineError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('KUSTOMIZE_BUILD', message, options);
  }
}
