import { visitFieldSpec } from '../fieldspecs/walk.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { isJsonObject, type JsonValue } from '../json.js';
import type { ImageConfig } from '../kustomization.js';
import type { Transformer } from './plugin.js';

/**
 * `images:` — rewrites matching image references: first every `containers`/`initContainers`
 * list anywhere in a resource (kustomize's legacy walk), then the image field specs.
 */
export function imageTagTransformer(image: ImageConfig, fieldSpecs: FieldSpec[]): Transformer {
  const update = (value: string): string | undefined => updatedImage(value, image);
  return {
    transform(resources) {
      for (const resource of resources.resources()) {
        if (resource.kind === 'CustomResourceDefinition') continue;
        walkContainers(resource.obj, update);
      }
      for (const resource of resources.resources()) {
        if (resource.kind === 'CustomResourceDefinition') continue;
        for (const spec of fieldSpecs) {
          visitFieldSpec(resource.obj, spec, (field) => {
            if (typeof field.value !== 'string') {
              if (field.value === null || typeof field.value === 'object') throw new Error(`wrong node kind: expected ScalarNode`);
              return;
            }
            const next = update(field.value);
            if (next !== undefined) field.set(next);
          });
        }
      }
    },
  };
}

function walkContainers(node: JsonValue, update: (value: string) => string | undefined): void {
  if (Array.isArray(node)) {
    for (const element of node) walkContainers(element, update);
    return;
  }
  if (!isJsonObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    walkContainers(value, update);
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const container of value) {
        if (!isJsonObject(container) || typeof container.image !== 'string') continue;
        const next = update(container.image);
        if (next !== undefined) container.image = next;
      }
    }
  }
}

/** The new image reference, or undefined when `value` is not the configured image. */
export function updatedImage(value: string, image: ImageConfig): string | undefined {
  if (!isImageMatched(value, image.name ?? '')) return undefined;
  let [name, tag, digest] = splitImage(value);
  if (image.newName) name = image.newName;
  if (image.newTag && image.digest) {
    tag = image.newTag;
    digest = image.digest;
  } else if (image.newTag) {
    tag = image.newTag;
    digest = '';
  } else if (image.digest) {
    tag = '';
    digest = image.digest;
  } else if (image.tagSuffix) {
    tag += image.tagSuffix;
    digest = '';
  }
  if (tag !== '') name += `:${tag}`;
  if (digest !== '') name += `@${digest}`;
  return name;
}

function isImageMatched(value: string, name: string): boolean {
  try {
    return new RegExp(`^${name}(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$`).test(value);
  } catch {
    return false;
  }
}

/** name, tag, digest of an image reference; a `:` before the first `/` is a registry port. */
function splitImage(image: string): [string, string, string] {
  let searchFrom = image.indexOf('/');
  if (searchFrom <= 0) searchFrom = 0;
  const search = image.slice(searchFrom);
  let at = search.indexOf('@');
  let colon = search.indexOf(':');
  if (colon < 0 && at < 0) return [image, '', ''];
  if (at >= 0 && (at < colon || colon < 0)) {
    at += searchFrom;
    return [image.slice(0, at), '', image.slice(at + 1)];
  }
  if (at >= 0 && colon >= 0) {
    at += searchFrom;
    colon += searchFrom;
    return [image.slice(0, colon), image.slice(colon + 1, at), image.slice(at + 1)];
  }
  colon += searchFrom;
  return [image.slice(0, colon), image.slice(colon + 1), ''];
}
