export {
  appendHashSuffix,
  encodeBase64,
  makeConfigMap,
  makeSecret,
  mergeGlobalOptionsIntoLocal,
  type ConfigMapArgs,
  type GeneratedResource,
  type GenerationBehavior,
  type GeneratorArgs,
  type GeneratorContext,
  type GeneratorOptions,
  type KvPairSources,
  type SecretArgs,
} from './generators.js';
export { encodeHash, goJsonStringify, hashConfigMap, hashResource, hashSecret, hashSortedStrings, sha256Hex } from './hash.js';
export {
  KUBERNETES_VALIDATOR,
  KUSTOMIZE_VALIDATOR,
  loadGeneratorFile,
  parseEnvFile,
  parseFileSource,
  parseLiteralSource,
  type ByteFileSystem,
  type FileContent,
  type FileLoaderOptions,
  type KvPair,
  type KvValidator,
} from './kv.js';
