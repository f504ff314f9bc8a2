import type { FileSystem } from './file-system.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { Loader } from './loader.js';
import { customSchemaLookup } from './patch/custom-schema.js';
import { withSchemaLookup } from './patch/strategic-merge.js';
import { parseYamlDocument } from './yaml/parse.js';
import { sortResources } from './plugins/sort.js';
import { originYaml, transformationsYaml } from './resources/origin.js';
import type { Resource } from './resources/resource.js';
import { KustTarget } from './target.js';
import { emitYamlNoting } from './yaml/emit.js';

/** `legacy`: kustomize's kind-based order (the CLI default); `none`: depth-first input order. */
export type Reorder = 'legacy' | 'none';

export interface BuildOptions {
  /** Default `legacy`, as `kustomize build` without `--reorder`. A kustomization's sortOptions wins. */
  reorder?: Reorder;
}

export interface BuildResult {
  /**
   * The resources in output order, as plain JSON values: an integer beyond 2^53 (which `yaml`
   * prints with every digit) is a JS number here, so JSON.stringify and other JSON consumers work.
   */
  resources: JsonObject[];
  /** Exactly what `kustomize build` prints. */
  yaml: string;
}

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';
const TRANSFORMATIONS_ANNOTATION = 'alpha.config.kubernetes.io/transformations';

/** Builds the kustomization in `dir` (an absolute path of `fs`), like `kustomize build`. Throws KustomizeError. */
export function buildKustomization(fs: FileSystem, dir: string, options: BuildOptions = {}): BuildResult {
  const loader = Loader.atRoot(fs, dir);
  const target = KustTarget.load(loader);
  // kustomize sets the top kustomization's `openapi.path` schema for the whole build.
  const schemaPath = target.kustomization.openapi?.path;
  const resources = schemaPath
    ? withSchemaLookup(customSchemaLookup(parseYamlDocument(loader.load(schemaPath), schemaPath), schemaPath), () => target.makeCustomizedResources())
    : target.makeCustomizedResources();
  const sortOptions = target.kustomization.sortOptions;
  if (sortOptions) sortResources(resources, sortOptions);
  else if ((options.reorder ?? 'legacy') === 'legacy') sortResources(resources, { order: 'legacy' });
  const buildMetadata = target.kustomization.buildMetadata ?? [];
  const objects = resources.resources().map((resource) =>
    finalObject(resource, buildMetadata.includes('originAnnotations'), buildMetadata.includes('transformerAnnotations')),
  );
  let yaml = '';
  let bigInts = false;
  for (let i = 0; i < objects.length; i++) {
    const emitted = emitYamlNoting(objects[i]!);
    yaml += i === 0 ? emitted.yaml : `---\n${emitted.yaml}`;
    bigInts ||= emitted.bigInts;
  }
  return { resources: bigInts ? objects.map((object) => withoutBigInts(object) as JsonObject) : objects, yaml };
}

/** Build metadata becomes annotations only now, and only when the kustomization asked for it. */
function finalObject(resource: Resource, origins: boolean, transformations: boolean): JsonObject {
  const extra: Record<string, string> = {};
  if (origins && resource.origin) extra[ORIGIN_ANNOTATION] = originYaml(resource.origin);
  if (transformations && resource.transformations?.length) extra[TRANSFORMATIONS_ANNOTATION] = transformationsYaml(resource.transformations);
  // Kustomize rewrites every non-empty annotation map when it strips its build annotations,
  // which turns `port: 8080` into the string "8080".
  // An empty or null annotation map is cleared by that rewrite (SetAnnotations of an empty map
  // removes the field); labels are not touched.
  const annotations = { ...resource.annotations, ...extra };
  if (Object.keys(annotations).length > 0) resource.annotations = annotations;
  else {
    const metadata = resource.obj.metadata;
    if (isJsonObject(metadata) && 'annotations' in metadata) delete metadata.annotations;
  }
  return resource.obj;
}

function withoutBigInts(value: JsonValue): JsonValue {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(withoutBigInts);
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const key of Object.keys(value)) copy[key] = withoutBigInts(value[key]!);
    return copy;
  }
  return value;
}
