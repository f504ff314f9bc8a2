export type { FieldSpec, Gvk, NameBackReferences, TransformerConfig, FieldSpecListKey } from './types.js';
export { FIELD_SPEC_LIST_KEYS } from './types.js';
export * from './builtin.js';
export {
  cloneTransformerConfig,
  defaultTransformerConfig,
  emptyTransformerConfig,
  makeTransformerConfig,
  mergeFieldSpecs,
  mergeNameBackReferences,
  mergeTransformerConfigs,
  parseTransformerConfig,
  sortTransformerConfig,
} from './config.js';
export {
  compareGvk,
  fieldSpecMatches,
  gvkEquals,
  gvkIsSelected,
  gvkOfTypeMeta,
  gvkString,
  parseGroupVersion,
  resIdString,
  typeMetaOf,
  type TypeMeta,
} from './gvk.js';
export {
  splitFieldSpecPath,
  visitFieldSpec,
  visitFieldSpecs,
  walkFieldPath,
  type CreateKind,
  type FieldVisit,
  type FieldVisitor,
} from './walk.js';
export {
  lookupFieldPath,
  parseFieldPath,
  smarterPathSplit,
  type FieldPathSegment,
  type ParseFieldPathOptions,
} from './fieldpath.js';
