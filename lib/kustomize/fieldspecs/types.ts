/**
 * The vocabulary of kustomize's transformer configurations ("field specs"): which fields of which
 * kinds a built-in transformer (namePrefix, commonLabels, namespace, nameReference, ...) touches.
 */

/** A (possibly partial) Group/Version/Kind. An empty or missing part matches anything. */
export interface Gvk {
  group?: string;
  version?: string;
  kind?: string;
}

/**
 * One kustomizable field: `path` (kustomize's `/`-separated field path) in objects of the given
 * GVK. `create` means the transformer may create the field (and missing parent maps) when absent.
 */
export interface FieldSpec extends Gvk {
  path: string;
  create?: boolean;
}

/**
 * A referral target kind and the fields of other objects that refer to it by name
 * (kustomize's NameBackReferences; `fieldSpecs` are its "referrers").
 */
export interface NameBackReferences {
  gvk: Gvk;
  fieldSpecs: FieldSpec[];
}

/** kustomize's TransformerConfig; every list is present (empty when unused). */
export interface TransformerConfig {
  namePrefix: FieldSpec[];
  nameSuffix: FieldSpec[];
  namespace: FieldSpec[];
  commonLabels: FieldSpec[];
  /** Only filled by user `configurations:`; the `labels:` transformer's extra fields. */
  labels: FieldSpec[];
  templateLabels: FieldSpec[];
  volumeClaimTemplateLabels: FieldSpec[];
  commonAnnotations: FieldSpec[];
  nameReference: NameBackReferences[];
  varReference: FieldSpec[];
  images: FieldSpec[];
  replicas: FieldSpec[];
}

/** The keys of TransformerConfig that hold plain FieldSpec lists, in kustomize's merge order. */
export const FIELD_SPEC_LIST_KEYS = [
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonAnnotations',
  'commonLabels',
  'labels',
  'templateLabels',
  'volumeClaimTemplateLabels',
  'varReference',
  'images',
  'replicas',
] as const satisfies readonly (keyof TransformerConfig)[];

export type FieldSpecListKey = (typeof FIELD_SPEC_LIST_KEYS)[number];
