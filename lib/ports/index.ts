export type { ArtifactStore, StoredObject, PutConditions } from './artifact-store.js';
export { PreconditionFailed, isPreconditionFailed } from './artifact-store.js';
export type { SecretSource, ReferenceScope } from './secret-source.js';
export type { VariableSource } from './variable-source.js';
export type { Clock } from './clock.js';
export { systemClock, fixedClock } from './clock.js';
