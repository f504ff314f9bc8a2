import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KustomizeError } from '../../../../lib/kustomize/errors.js';
import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { MemoryFileSystem } from '../../../../lib/kustomize/memory-file-system.js';
import {
  appendHashSuffix,
  encodeBase64,
  KUBERNETES_VALIDATOR,
  makeConfigMap,
  makeSecret,
  mergeGlobalOptionsIntoLocal,
  parseEnvFile,
  parseFileSource,
  parseLiteralSource,
  type ConfigMapArgs,
  type GeneratorOptions,
  type SecretArgs,
} from '../../../../lib/kustomize/generators/index.js';
import { HAVE_CORPUS, loadCaseInput, readCaseExpected } from './corpus.js';

const app = (files: Record<string, string>) =>
  new MemoryFileSystem(Object.fromEntries(Object.entries(files).map(([path, content]) => [`/app/${path}`, content])));

function configMap(args: ConfigMapArgs, files: Record<string, string> = {}) {
  return makeConfigMap(args, app(files), '/app');
}

describe('literals', () => {
  it('splits at the first = and strips one pair of matching quotes', () => {
    expect(parseLiteralSource('a=b=c')).toEqual({ key: 'a', value: 'b=c' });
    expect(parseLiteralSource('a="x y"')).toEqual({ key: 'a', value: 'x y' });
    expect(parseLiteralSource("a='x'")).toEqual({ key: 'a', value: 'x' });
    expect(parseLiteralSource('a="x\'')).toEqual({ key: 'a', value: '"x\'' });
    expect(parseLiteralSource("a='")).toEqual({ key: 'a', value: "'" });
    expect(parseLiteralSource('a=""')).toEqual({ key: 'a', value: '' });
    expect(parseLiteralSource('a=')).toEqual({ key: 'a', value: '' });
    expect(parseLiteralSource("TEST=this is a 'test'")).toEqual({ key: 'TEST', value: "this is a 'test'" });
  });

  it('rejects a missing key or a missing =', () => {
    expect(() => parseLiteralSource('=v')).toThrow('invalid literal source =v, expected key=value');
    expect(() => parseLiteralSource('novalue')).toThrow('invalid literal source novalue, expected key=value');
  });

  it('generates a ConfigMap with sorted data keys', () => {
    const { resource, behavior, needsHashSuffix } = configMap({ name: 'cm', literals: ['b=2', 'a=1', 'enableRisky="false"'] });
    expect(resource).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      data: { a: '1', b: '2', enableRisky: 'false' },
    });
    expect(Object.keys(resource.data as JsonObject)).toEqual(['a', 'b', 'enableRisky']);
    expect(behavior).toBe('unspecified');
    expect(needsHashSuffix).toBe(true);
  });

  it('wraps errors the way kustomize does', () => {
    expect(() => configMap({ name: 'cm', literals: ['ok=1', '=bad'] })).toThrow(
      'loading KV pairs: literal sources [ok=1 =bad]: invalid literal source =bad, expected key=value',
    );
  });
});

describe('files', () => {
  it('parses `path` and `key=path`', () => {
    expect(parseFileSource('dir/app.properties')).toEqual({ key: 'app.properties', path: 'dir/app.properties' });
    expect(parseFileSource('k=dir/app.properties')).toEqual({ key: 'k', path: 'dir/app.properties' });
    expect(() => parseFileSource('=x')).toThrow('missing key name for file path "x" in source "=x"');
    expect(() => parseFileSource('k=')).toThrow('missing file path for key name "k" in source "k="');
    expect(() => parseFileSource('a=b=c')).toThrow(`source "a=b=c" key name or file path contains '='`);
  });

  it('reads files relative to the kustomization directory', () => {
    const { resource } = configMap(
      { name: 'cm', files: ['conf/app.properties', 'other=conf/x.txt'] },
      { 'conf/app.properties': 'a=1\nb=2\n', 'conf/x.txt': 'hello' },
    );
    expect(resource.data).toEqual({ 'app.properties': 'a=1\nb=2\n', other: 'hello' });
  });

  it('refuses files outside the root, directories and missing files', () => {
    const fs = new MemoryFileSystem({ '/app/k/x': 'x', '/secret.txt': 's', '/app/k/d/f': 'f' });
    expect(() => makeConfigMap({ name: 'cm', files: ['../../secret.txt'] }, fs, '/app/k')).toThrow(
      "loading KV pairs: file sources: [../../secret.txt]: security; file '/secret.txt' is not in or below '/app/k'",
    );
    expect(() => makeConfigMap({ name: 'cm', files: ['d'] }, fs, '/app/k')).toThrow("'/app/k/d' must resolve to a file");
    expect(() => makeConfigMap({ name: 'cm', files: ['nope'] }, fs, '/app/k')).toThrow(
      "file sources: [nope]: evalsymlink failure on '/app/k/nope' : lstat /app/k/nope: no such file or directory",
    );
    // ...unless the caller widens the root.
    expect(makeConfigMap({ name: 'cm', files: ['../../secret.txt'] }, fs, '/app/k', { root: '/' }).resource.data).toEqual({
      'secret.txt': 's',
    });
  });

  it('follows symlinks before checking the root', () => {
    const fs = new MemoryFileSystem({ '/outside/x': 'x', '/app/kustomization.yaml': '' }, { '/app/link': '/outside/x' });
    expect(() => makeConfigMap({ name: 'cm', files: ['link'] }, fs, '/app')).toThrow(
      "security; file '/app/link' is not in or below '/app'",
    );
  });

  it('uses a caller-supplied loader when given', () => {
    const { resource } = makeConfigMap({ name: 'cm', files: ['x'] }, new MemoryFileSystem(), '/app', { loadFile: (path) => `from ${path}` });
    expect(resource.data).toEqual({ x: 'from x' });
  });

  it('puts non-UTF-8 content into binaryData (needs readFileBytes)', () => {
    const fs = new MemoryFileSystem({ '/app/text.txt': 'plain' });
    fs.writeFile('/app/data.bin', new Uint8Array([0xff, 0x68, 0x69]));
    const { resource } = makeConfigMap({ name: 'cm', files: ['data.bin', 'text.txt'] }, fs, '/app');
    expect(resource).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      binaryData: { 'data.bin': '/2hp' },
      data: { 'text.txt': 'plain' },
    });
    // binaryData came first because its key sorts first, as in kustomize's output.
    expect(Object.keys(resource)).toEqual(['apiVersion', 'kind', 'metadata', 'binaryData', 'data']);
  });
});

describe('env files', () => {
  it('follows kustomize rules for comments, blanks, =, BOM and CRLF', () => {
    const content = '\ufeffA=1\r\n# comment\n\n   B = spaced \n  #indented comment\nC=x=y\nNOVALUE\nQ="quoted"\nexport E=1';
    expect(parseEnvFile(content)).toEqual([
      { key: 'A', value: '1' },
      { key: 'B ', value: ' spaced ' },
      { key: 'C', value: 'x=y' },
      { key: 'NOVALUE', value: '' },
      { key: 'Q', value: '"quoted"' },
      { key: 'export E', value: '1' },
    ]);
  });

  it('only strips a BOM on the first line', () => {
    expect(parseEnvFile('A=1\n\ufeffB=2')).toEqual([
      { key: 'A', value: '1' },
      { key: '\ufeffB', value: '2' },
    ]);
  });

  it('reports invalid UTF-8 lines with kustomize\'s (quirky) message', () => {
    expect(() => parseEnvFile(new Uint8Array([0x41, 0x3d, 0xff]))).toThrow('line [65 61 255] has invalid utf8 bytes : A=\ufffd');
  });

  it('reads `envs` then the deprecated `env`, before literals and files', () => {
    const { resource } = configMap(
      { name: 'cm', envs: ['a.env'], env: 'b.env', literals: ['L=1'], files: ['f'] },
      { 'a.env': 'A=1\n', 'b.env': 'B=2\n', f: 'F' },
    );
    expect(resource.data).toEqual({ A: '1', B: '2', L: '1', f: 'F' });
  });

  it('validates env var names only with an opt-in validator', () => {
    expect(parseEnvFile('1BAD=x')).toEqual([{ key: '1BAD', value: 'x' }]);
    expect(() => parseEnvFile('1BAD=x', KUBERNETES_VALIDATOR)).toThrow(/"1BAD" is not a valid env var name/);
  });
});

describe('keys', () => {
  it('reports duplicates with kustomize\'s message (which says configmap even for secrets)', () => {
    expect(() => configMap({ name: 'cm', literals: ['a=1', 'a=2'] })).toThrow('configmap cm illegally repeats the key `a`');
    expect(() => makeSecret({ name: 's', envs: ['e'], literals: ['A=x'] }, app({ e: 'A=1' }), '/app')).toThrow(
      'configmap s illegally repeats the key `A`',
    );
  });

  it('accepts any key like `kustomize build`, or validates like Kubernetes on request', () => {
    expect(configMap({ name: 'cm', literals: ['bad key!=1'] }).resource.data).toEqual({ 'bad key!': '1' });
    expect(() => makeConfigMap({ name: 'cm', literals: ['bad key!=1'] }, app({}), '/app', { validator: KUBERNETES_VALIDATOR })).toThrow(
      /"bad key!" is not a valid key name: a valid config key must consist of alphanumeric characters/,
    );
    expect(() => makeConfigMap({ name: 'cm', literals: ['..=1'] }, app({}), '/app', { validator: KUBERNETES_VALIDATOR })).toThrow(
      /must not be '\.\.'/,
    );
  });

  it('requires a name', () => {
    expect(() => configMap({ literals: ['a=1'] })).toThrow('a configmap must have a name');
    expect(() => configMap({ literals: ['a=1'] })).toThrow(KustomizeError);
  });
});

describe('secrets', () => {
  it('defaults the type to Opaque and base64-encodes every value', () => {
    const { resource } = makeSecret({ name: 's', namespace: 'ns', literals: ['password=verySecret'] }, app({}), '/app');
    expect(resource).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      type: 'Opaque',
      data: { password: 'dmVyeVNlY3JldA==' },
    });
    expect(Object.keys(resource)).toEqual(['apiVersion', 'kind', 'metadata', 'type', 'data']);
  });

  it('keeps an explicit type and always has data', () => {
    const { resource } = makeSecret({ name: 's', type: 'kubernetes.io/tls' } as SecretArgs, app({}), '/app');
    expect(resource.type).toBe('kubernetes.io/tls');
    expect(resource.data).toEqual({});
  });

  it('wraps long base64 at 70 columns, every line newline-terminated', () => {
    expect(encodeBase64('x'.repeat(51))).toBe('eHh4'.repeat(17)); // 68 chars: one line, no newline
    const long = encodeBase64('x'.repeat(60)); // 80 chars
    expect(long).toBe(`${'eHh4'.repeat(17)}eH\nh4${'eHh4'.repeat(2)}\n`);
    expect(encodeBase64('x'.repeat(51) + 'y')).toMatch(/\n$/); // 72 chars
  });

  it('encodes file content as bytes', () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/app/key.bin', new Uint8Array([0, 1, 0xff]));
    expect(makeSecret({ name: 's', files: ['key.bin'] }, fs, '/app').resource.data).toEqual({ 'key.bin': 'AAH/' });
  });
});

describe('options', () => {
  it('adds labels, annotations and immutable; disableNameSuffixHash turns the hash off', () => {
    const { resource, needsHashSuffix, behavior } = configMap({
      name: 'cm',
      behavior: 'merge',
      literals: ['a=1'],
      options: { labels: { z: '1', a: '2' }, annotations: { note: 'x' }, immutable: true, disableNameSuffixHash: true },
    });
    expect(resource).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', labels: { a: '2', z: '1' }, annotations: { note: 'x' } },
      data: { a: '1' },
      immutable: true,
    });
    expect(Object.keys(resource)).toEqual(['apiVersion', 'kind', 'metadata', 'data', 'immutable']);
    expect(needsHashSuffix).toBe(false);
    expect(behavior).toBe('merge');
  });

  it('merges the kustomization generatorOptions under the local options', () => {
    const global: GeneratorOptions = { labels: { team: 'a', env: 'dev' }, disableNameSuffixHash: true, immutable: true };
    expect(mergeGlobalOptionsIntoLocal({ labels: { env: 'prod' } }, global)).toEqual({
      labels: { team: 'a', env: 'prod' },
      disableNameSuffixHash: true,
      immutable: true,
    });
    expect(mergeGlobalOptionsIntoLocal(undefined, { annotations: { a: 'b' } })).toEqual({ annotations: { a: 'b' } });
    expect(mergeGlobalOptionsIntoLocal({ immutable: true }, undefined)).toEqual({ immutable: true });
    const { resource, needsHashSuffix } = makeSecret({ name: 's', literals: ['a=b'] }, app({}), '/app', { globalOptions: global });
    expect((resource.metadata as JsonObject).labels).toEqual({ env: 'dev', team: 'a' });
    expect(needsHashSuffix).toBe(false);
  });

  it('unknown behaviors are "unspecified"', () => {
    expect(configMap({ name: 'cm', behavior: 'bogus' }).behavior).toBe('unspecified');
    expect(configMap({ name: 'cm', behavior: 'replace' }).behavior).toBe('replace');
  });

  it('an empty ConfigMap has no data field (and hashes as such)', () => {
    const { resource } = configMap({ name: 'cm' });
    expect(resource).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } });
    appendHashSuffix(resource);
    expect((resource.metadata as JsonObject).name).toBe('cm-6ct58987ht');
  });
});

describe.skipIf(!HAVE_CORPUS)('conformance cases made only of generators', () => {
  interface Kustomization {
    configMapGenerator?: ConfigMapArgs[];
    secretGenerator?: SecretArgs[];
    generatorOptions?: GeneratorOptions;
    namePrefix?: string;
  }

  function build(caseName: string, dir: string): JsonObject[] {
    const fs = loadCaseInput(caseName);
    const kustomization = parse(fs.readFile(`${dir}/kustomization.yaml`)) as Kustomization;
    const context = { globalOptions: kustomization.generatorOptions };
    const generated = [
      ...(kustomization.configMapGenerator ?? []).map((args) => makeConfigMap(args, fs, dir, context)),
      ...(kustomization.secretGenerator ?? []).map((args) => makeSecret(args, fs, dir, context)),
    ];
    return generated.map(({ resource, needsHashSuffix }) => {
      const metadata = resource.metadata as JsonObject;
      if (kustomization.namePrefix) metadata.name = `${kustomization.namePrefix}${String(metadata.name)}`;
      if (needsHashSuffix) appendHashSuffix(resource);
      return resource;
    });
  }

  it.each([
    ['configmaps__TestDataEndsWithQuotes', '/'],
    ['configmaps__TestDataIsSingleQuote', '/'],
    ['generatoroptions__TestSecretGenerator', '/'],
    ['namespacedgenerators__TestNamespacedGenerator', '/'],
    // Overlay only merges nothing into the base's generated binary ConfigMap.
    ['configmaps__TestGeneratorOverlaysBinaryData', '/base'],
  ])('%s', (caseName, dir) => {
    const expected = parseAllDocuments(readCaseExpected(caseName)).map((doc) => doc.toJS() as JsonObject);
    expect(build(caseName, dir)).toEqual(expected);
  });
});
