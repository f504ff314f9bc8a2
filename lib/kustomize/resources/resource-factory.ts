import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { parseYamlDocuments } from '../yaml/parse.js';
import { memoizeByText } from '../parse-cache.js';
import { Resource } from './resource.js';

/**
 * Turns YAML text into resources the way kustomize's resource factory does: empty documents
 * dropped, every object must have a kind and (unless a List) a metadata.name, and `*List`
 * kinds with `items` expanded into their items.
 */
export function resourcesFromText(text: string, fileName: string): Resource[] {
  return objectsFromText(text, fileName).map((object) => new Resource(object));
}

export const objectsFromText: (text: string, fileName: string) => JsonObject[] = memoizeByText((text, fileName) => {
  // Kustomize accepts duplicate keys in kustomization files but refuses them in resources.
  const documents = parseYamlDocuments(text, fileName, { duplicateKeys: 'error' });
  return inlineLists(validated(documents));
});

function validated(documents: JsonValue[]): JsonObject[] {
  const result: JsonObject[] = [];
  for (const document of documents) {
    if (document === null || document === undefined) continue;
    if (isJsonObject(document) && Object.keys(document).length === 0) continue;
    if (!isJsonObject(document)) throw new KustomizeError('missing Resource metadata');
    validateMetadata(document);
    result.push(document);
  }
  return result;
}

function validateMetadata(object: JsonObject): void {
  const kind = object.kind;
  const metadata = object.metadata;
  if (object.apiVersion === undefined && kind === undefined && metadata === undefined) {
    throw new KustomizeError('missing Resource metadata');
  }
  if (typeof kind !== 'string' || kind === '') {
    throw new KustomizeError(`missing kind in object ${describe(object)}`);
  }
  if (kind.endsWith('List')) return;
  const name = isJsonObject(metadata) ? metadata.name : undefined;
  if (name === undefined || name === null || name === '') {
    throw new KustomizeError(`missing metadata.name in object ${describe(object)}`);
  }
}

function describe(object: JsonObject): string {
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  return `{{${String(object.apiVersion ?? '')} ${String(object.kind ?? '')}} {{${String(metadata.name ?? '')} ${String(metadata.namespace ?? '')}}}}`;
}

function inlineLists(objects: JsonObject[]): JsonObject[] {
  const result: JsonObject[] = [];
  const queue = [...objects];
  while (queue.length > 0) {
    const object = queue.shift()!;
    const kind = String(object.kind);
    if (!kind.endsWith('List') || !('items' in object)) {
      result.push(object);
      continue;
    }
    const items = object.items;
    if (items === null) continue;
    if (!Array.isArray(items)) throw new KustomizeError(`expected array in ${kind}/items, but found ${typeof items}`);
    queue.push(...validated(items));
  }
  return result;
}
