import { KustomizeError } from '../errors.js';
import { visitFieldSpec } from '../fieldspecs/walk.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { isJsonObject } from '../json.js';
import { isClusterScoped, resIdEquals, resIdString } from '../resources/resource-id.js';
import type { Resource } from '../resources/resource.js';
import type { Transformer } from './plugin.js';

export type RoleBindingSubjectMode = 'defaultOnly' | 'allServiceAccounts' | 'none';

export interface NamespaceConfig {
  namespace: string;
  fieldSpecs: FieldSpec[];
  unsetOnly?: boolean;
  setRoleBindingSubjects?: RoleBindingSubjectMode | '';
}

const HELM_GENERATED = 'kustomize.config.k8s.io/helm-generated';

/** `namespace:` — sets metadata.namespace of namespaced resources and every namespace field spec. */
export function namespaceTransformer(config: NamespaceConfig): Transformer {
  const mode = config.setRoleBindingSubjects || 'defaultOnly';
  if (!['defaultOnly', 'allServiceAccounts', 'none'].includes(mode)) {
    throw new KustomizeError(`invalid value "${mode}" for setRoleBindingSubjects: must be one of "defaultOnly", "none" or "allServiceAccounts"`);
  }
  const setValue = (current: unknown): string | undefined =>
    config.unsetOnly && typeof current === 'string' && current !== '' ? undefined : config.namespace;
  return {
    transform(resources) {
      if (config.namespace === '') return;
      for (const resource of resources.resources()) {
        if (resource.isEmpty() || resource.annotations[HELM_GENERATED] === 'true') continue;
        resource.storePreviousId();
        applyNamespace(resource, config, mode, setValue);
        const id = resource.curId();
        if (resources.byCurrentId((other) => resIdEquals(other, id)).length !== 1) {
          throw new KustomizeError(`namespace transformation produces ID conflict: ${resIdString(id)}`);
        }
      }
    },
  };
}

function applyNamespace(
  resource: Resource,
  config: NamespaceConfig,
  mode: RoleBindingSubjectMode,
  setValue: (current: unknown) => string | undefined,
): void {
  const object = resource.obj;
  let specs = config.fieldSpecs.filter(
    (spec) => spec.path !== 'metadata/namespace' && !(resource.apiVersion !== 'v1' && spec.path === 'metadata/name'),
  );
  if (!isClusterScoped(resource.gvk)) {
    visitFieldSpec(object, { path: 'metadata/namespace', create: true }, (field) => {
      const value = setValue(field.value);
      if (value !== undefined) field.set(value);
    }, { createKind: 'scalar' });
  }
  const isRoleBinding = resource.kind === 'RoleBinding' || resource.kind === 'ClusterRoleBinding';
  if (isRoleBinding) {
    specs = specs.filter((spec) => !((spec.kind === 'RoleBinding' || spec.kind === 'ClusterRoleBinding') && spec.path === 'subjects/namespace'));
    setSubjectNamespaces(resource, mode, setValue);
  }
  try {
    for (const spec of specs) {
      visitFieldSpec(object, spec, (field) => {
        const value = setValue(field.value);
        if (value !== undefined) field.set(value);
      }, { createKind: 'scalar' });
    }
  } catch (error) {
    throw new KustomizeError(`namespace transformation failed: ${(error as Error).message}`, { cause: error });
  }
}

function setSubjectNamespaces(resource: Resource, mode: RoleBindingSubjectMode, setValue: (current: unknown) => string | undefined): void {
  if (mode === 'none') return;
  const subjects = resource.obj.subjects;
  if (!Array.isArray(subjects)) return;
  for (const subject of subjects) {
    if (!isJsonObject(subject)) continue;
    const selected = mode === 'allServiceAccounts' ? subject.kind === 'ServiceAccount' : subject.name === 'default';
    if (!selected) continue;
    const value = setValue(subject.namespace);
    if (value !== undefined) subject.namespace = value;
  }
}
