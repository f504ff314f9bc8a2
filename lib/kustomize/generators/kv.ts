import { posix } from 'node:path';
import { KustomizeError } from '../errors.js';
import type { FileSystem } from '../file-system.js';

/** A FileSystem that can also hand out raw bytes (needed to tell binary files from text). */
export interface ByteFileSystem extends FileSystem {
  readFileBytes(path: string): Uint8Array;
}

/** File content as kustomize holds it: a Go string, i.e. bytes that may or may not be UTF-8. */
export type FileContent = string | Uint8Array;

/** kustomize's ifc.Validator hooks for generator keys. `kustomize build` uses no-op ones. */
export interface KvValidator {
  /** Throws if `key` may not be a ConfigMap/Secret data key. */
  errIfInvalidKey(key: string): void;
  /** Throws if `key` (from an env file) may not be an environment variable name. */
  isEnvVarName(key: string): void;
}

/**
 * What `kustomize build` actually does: its field validator accepts every key (kustomize v5 dropped
 * the kubectl validation), so `"bad key!"` is a legal data key there.
 */
export const KUSTOMIZE_VALIDATOR: KvValidator = {
  errIfInvalidKey: () => undefined,
  isEnvVarName: () => undefined,
};

/**
 * Opt-in Kubernetes rules (apimachinery IsConfigMapKey / IsEnvVarName), for callers that want the
 * API server's verdict early. Not what `kustomize build` does.
 */
export const KUBERNETES_VALIDATOR: KvValidator = {
  errIfInvalidKey(key) {
    const errors: string[] = [];
    if (key.length > 253) errors.push('must be no more than 253 characters');
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
      errors.push(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      );
    }
    errors.push(...chDirPrefixErrors(key));
    if (errors.length > 0) throw new KustomizeError(`${goQuote(key)} is not a valid key name: ${errors.join(';')}`);
  },
  isEnvVarName(key) {
    const errors: string[] = [];
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) {
      errors.push(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
      );
    }
    errors.push(...chDirPrefixErrors(key));
    if (errors.length > 0) throw new KustomizeError(`${goQuote(key)} is not a valid env var name: ${errors.join(';')}`);
  },
};

function chDirPrefixErrors(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

export interface KvPair {
  key: string;
  value: FileContent;
}

/**
 * `literals:` entry → key/value (kustomize parseLiteralSource): split at the FIRST `=` (values may
 * contain `=`); a leading `=` or no `=` at all is an error; one pair of matching surrounding
 * quotes (' or ") is removed from the value — nothing else is unescaped.
 */
export function parseLiteralSource(source: string): KvPair {
  const equals = source.indexOf('=');
  if (equals <= 0) throw new KustomizeError(`invalid literal source ${source}, expected key=value`);
  return { key: source.slice(0, equals), value: removeQuotes(source.slice(equals + 1)) };
}

function removeQuotes(value: string): string {
  if (value.length < 2 || value[0] !== value[value.length - 1]) return value;
  if (value[0] === '"' || value[0] === "'") return value.slice(1, -1);
  return value;
}

/**
 * `files:` entry → key and path (kustomize ParseFileSource): `path` (key = the file's base name)
 * or `key=path`; more than one `=` is an error, as is an empty key or path.
 */
export function parseFileSource(source: string): { key: string; path: string } {
  const separators = source.split('=').length - 1;
  if (separators === 0) return { key: goPathBase(source), path: source };
  if (separators === 1 && source.startsWith('=')) {
    throw new KustomizeError(`missing key name for file path ${goQuote(source.slice(1))} in source ${goQuote(source)}`);
  }
  if (separators === 1 && source.endsWith('=')) {
    throw new KustomizeError(`missing file path for key name ${goQuote(source.slice(0, -1))} in source ${goQuote(source)}`);
  }
  if (separators > 1) throw new KustomizeError(`source ${goQuote(source)} key name or file path contains '='`);
  const [key, path] = source.split('=') as [string, string];
  return { key, path };
}

// Go's path.Base: trailing slashes dropped, "" → ".", all slashes → "/".
function goPathBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

// Go's unicode.IsSpace (JS \s differs: it includes U+FEFF and excludes U+0085).
const GO_LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * An `envs:` file → pairs (kustomize keyValuesFromLines): one `KEY=value` per line; leading
 * whitespace is dropped, blank lines and lines starting with `#` are skipped; the value is
 * everything after the first `=`, verbatim (no quote removal, no trimming, no `export`, no
 * interpolation); a line without `=` gives the key an EMPTY value (kustomize v5 no longer reads
 * the process environment); a UTF-8 BOM is dropped from the first line only; CRLF is accepted.
 */
export function parseEnvFile(content: FileContent, validator: KvValidator = KUSTOMIZE_VALIDATOR): KvPair[] {
  const pairs: KvPair[] = [];
  const lines = splitLines(content);
  lines.forEach((raw, index) => {
    let line = decodeLine(raw);
    if (index === 0 && line.startsWith('\ufeff')) line = line.slice(1);
    line = line.replace(GO_LEADING_SPACE, '');
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    const key = equals === -1 ? line : line.slice(0, equals);
    validator.isEnvVarName(key);
    pairs.push({ key, value: equals === -1 ? '' : line.slice(equals + 1) });
  });
  return pairs;
}

// bufio.ScanLines: split at \n, drop one trailing \r per line, no empty last line after a final \n.
function splitLines(content: FileContent): (string | Uint8Array)[] {
  if (typeof content === 'string') {
    const lines = content.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  }
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let index = 0; index < content.length; index++) {
    if (content[index] === 0x0a) {
      lines.push(content.subarray(start, index));
      start = index + 1;
    }
  }
  if (start < content.length) lines.push(content.subarray(start));
  return lines.map((line) => (line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line));
}

function decodeLine(line: string | Uint8Array): string {
  if (typeof line === 'string') return line;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(line);
  } catch {
    // kustomize formats the line's bytes with %d (a Go quirk): "line [104 105 255] has ...".
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(line);
    throw new KustomizeError(`line [${[...line].join(' ')}] has invalid utf8 bytes : ${text}`);
  }
}

/** Go's %q for the printable-ASCII-and-common cases (JSON escaping coincides there). */
export function goQuote(value: string): string {
  return JSON.stringify(value);
}

/** Go's %v of a []string: `[a b c]`. */
export function goList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

export interface FileLoaderOptions {
  /** The load-restriction root (kustomize's LoadRestrictionsRootOnly); default: the directory. */
  root?: string;
  /** Turn the restriction off (kustomize's --load-restrictor LoadRestrictionsNone). */
  unrestricted?: boolean;
}

/**
 * Loads a generator input file the way kustomize's file loader does: relative paths are taken
 * from the kustomization directory; the symlink-resolved file must lie in or below the root;
 * directories and missing files are errors. Raw bytes when the FileSystem offers them (so
 * binary files are detected), otherwise the text.
 */
export function loadGeneratorFile(fs: FileSystem, dir: string, path: string, options: FileLoaderOptions = {}): FileContent {
  if (/^https?:\/\//.test(path)) {
    throw new KustomizeError(`loading remote files is not supported: ${path}`);
  }
  const joined = posix.isAbsolute(path) ? posix.normalize(path) : posix.join(dir, path);
  if (!fs.exists(joined)) {
    throw new KustomizeError(`evalsymlink failure on '${joined}' : lstat ${joined}: no such file or directory`);
  }
  const real = fs.realPath(joined);
  if (fs.isDirectory(real)) throw new KustomizeError(`'${joined}' must resolve to a file`);
  if (!options.unrestricted) {
    const root = fs.realPath(options.root ?? dir);
    const realDir = posix.dirname(real);
    if (!(realDir === root || realDir.startsWith(root === '/' ? '/' : `${root}/`))) {
      throw new KustomizeError(`security; file '${joined}' is not in or below '${root}'`);
    }
  }
  const byteFs = fs as Partial<ByteFileSystem>;
  return typeof byteFs.readFileBytes === 'function' ? byteFs.readFileBytes(real) : fs.readFile(real);
}
