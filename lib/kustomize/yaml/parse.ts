/**
 * YAML input, decoded the way kustomize reads resource files.
 *
 * kustomize (kyaml `kio.ByteReader`): CRLF -> LF, split the text on separator lines
 * (`\n---<anything>\n`, where anything after `---` must be blank or a comment), decode the first
 * document of each piece with go-yaml v3 into a node tree, drop empty / null documents, replace
 * aliases by copies of their anchors and apply `<<` merge keys (kyaml `DeAnchor`). The value a
 * resource finally has is go-yaml v3's decoding of that tree into Go maps (RNode.MarshalJSON):
 * YAML 1.2-ish plain scalar resolution (true/false only, not yes/no; ints in Go base-0 syntax,
 * `_` allowed; unquoted timestamps become RFC 3339 date-times).
 *
 * The syntax itself is parsed by the `yaml` package (failsafe schema, so every scalar keeps its
 * source text); resolution, aliases and merges are done here on the node tree. Syntax errors are
 * reported with go-yaml's wording where the cause can be recognised, prefixed like kustomize's
 * `MalformedYAMLError`.
 */
import type { Alias, Document, LineCounter, Node as YNode, Scalar, YAMLError } from 'yaml';

import { yamlLibrary as Y } from './library.js';
import type { JsonObject, JsonValue } from '../json.js';
import { KustomizeError } from '../errors.js';
import { fastParsePiece } from './fast-parse.js';
import { resolvePlainV3 } from './go-scalars.js';
import { markEmpty, markPlain, markQuoted } from './scalar-meta.js';
import { excessiveAliasing } from './alias-budget.js';

export interface ParseYamlOptions {
  /**
   * What to do with a key that occurs twice in one mapping. `'last'` (default): the later value
   * wins, as sigs.k8s.io/yaml does for kustomization files. `'error'`: throw go-yaml v3's
   * "mapping key ... already defined" error, which kustomize reports for resources when it
   * serialises them.
   */
  duplicateKeys?: 'last' | 'error';
  /** Skip the fast path for plain block YAML (tests compare both paths). */
  fullParserOnly?: boolean;
}

/** A YAML file could not be decoded. `message` is kustomize's text; `yamlMessage` go-yaml's. */
export class YamlSyntaxError extends KustomizeError {
  readonly fileName: string;
  readonly yamlMessage: string;
  readonly line: number | undefined;

  constructor(yamlMessage: string, fileName: string, line: number | undefined) {
    super(`MalformedYAMLError: ${yamlMessage} in File: ${fileName}`);
    this.fileName = fileName;
    this.yamlMessage = yamlMessage;
    this.line = line;
  }
}

/** go-yaml v3 rejected a decoded value (e.g. a duplicate key); message is go-yaml's. */
export class YamlDecodeError extends KustomizeError {
  readonly fileName: string;
  constructor(message: string, fileName: string) {
    super(message);
    this.fileName = fileName;
  }
}

const PARSE_OPTIONS = {
  schema: 'failsafe',
  uniqueKeys: false,
  prettyErrors: false,
  keepSourceTokens: false,
  merge: false,
  strict: false,
} as const;

/** kyaml splitDocuments: separators are lines starting with `---`, followed by blanks or a comment. */
function splitDocuments(text: string, fileName: string): string[] {
  const docs: string[] = [];
  if (text.length === 0) return docs;
  const re = /\n---.*\n/g;
  let prev = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const rest = m[0].slice(4).trim();
    if (rest.length > 0 && rest[0] !== '#') {
      throw new YamlSyntaxError(`invalid document separator: ${m[0].trim()}`, fileName, undefined);
    }
    docs.push(text.slice(prev, m.index));
    prev = m.index + m[0].length;
  }
  docs.push(text.slice(prev));
  return docs;
}

/**
 * Decode every document of a YAML file into plain values, dropping empty and null documents.
 * Throws YamlSyntaxError (message `MalformedYAMLError: yaml: line N: ... in File: <fileName>`).
 */
export function parseYamlDocuments(text: string, fileName: string, options: ParseYamlOptions = {}): JsonValue[] {
  // A UTF-8 byte-order mark starts the stream; it is not part of the first key.
  const unmarked = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const src = unmarked.indexOf('\r\n') >= 0 ? unmarked.replace(/\r\n/g, '\n') : unmarked;
  const pieces = splitDocuments(src, fileName);
  const out: JsonValue[] = [];
  for (let i = 0; i < pieces.length; i++) {
    // The split eats each piece's final newline, which matters for block scalars.
    const piece = i < pieces.length - 1 ? pieces[i] + '\n' : pieces[i]!;
    const value = decodePiece(piece, fileName, options);
    if (value !== undefined && value !== null) out.push(value);
  }
  return out;
}

/** The single document of a YAML text (undefined when it has none, e.g. only comments). */
export function parseYamlDocument(text: string, fileName: string, options: ParseYamlOptions = {}): JsonValue | undefined {
  const docs = parseYamlDocuments(text, fileName, options);
  if (docs.length > 1) {
    throw new YamlSyntaxError(`expected a single document, found ${docs.length}`, fileName, undefined);
  }
  return docs[0];
}

function decodePiece(piece: string, fileName: string, options: ParseYamlOptions): JsonValue | undefined {
  // Fast exit for pieces with nothing but blanks and comments.
  if (!/^[ \t]*[^\s#]/m.test(piece)) return undefined;
  if (!options.fullParserOnly) {
    const fast = fastParsePiece(piece);
    if (fast !== undefined) return fast.value;
  }
  const lineCounter = new (Y().LineCounter)();
  const docs = Y().parseAllDocuments(piece, { ...PARSE_OPTIONS, lineCounter });
  if (!Array.isArray(docs)) return undefined; // EmptyStream
  // go-yaml's Decoder reads only the first document of each piece.
  const doc = docs[0];
  if (doc === undefined) return undefined;
  if (doc.errors.length > 0) {
    throw syntaxError(doc.errors[0]!, piece, lineCounter, fileName);
  }
  const ctx: Ctx = { doc, fileName, piece, lineCounter, dupError: options.duplicateKeys === 'error', aliasDepth: 0 };
  const root = doc.contents as YNode | null;
  if (root === null) return undefined;
  if (!piece.endsWith('\n')) dropInventedLineBreak(root, piece);
  return toValue(root, ctx);
}

/**
 * A block scalar that runs to the end of a file without a final newline has no final line
 * break in go-yaml (`k: |` + `a` + `b<EOF>` is "a\nb"), while the `yaml` package adds one.
 * Only the last piece of a file can end this way (kyaml adds a newline between documents).
 */
function dropInventedLineBreak(root: YNode, piece: string): void {
  const lastLine = piece.slice(piece.lastIndexOf('\n') + 1);
  if (lastLine.trim() === '') return;
  let node: unknown = root;
  for (;;) {
    if (Y().isMap(node) || Y().isSeq(node)) {
      const items = node.items as unknown[];
      const last = items[items.length - 1];
      if (last === undefined) return;
      node = Y().isPair(last) ? (last.value ?? last.key) : last;
      continue;
    }
    break;
  }
  if (!Y().isScalar(node) || (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED')) return;
  const end = (node as { range?: [number, number, number] }).range?.[1];
  if (end === undefined || end < piece.length || typeof node.value !== 'string' || !node.value.endsWith('\n')) return;
  node.value = node.value.slice(0, -1);
}

interface Ctx {
  doc: Document;
  fileName: string;
  piece: string;
  lineCounter: LineCounter;
  dupError: boolean;
  aliasDepth: number;
  aliasesChecked?: boolean;
}

const TAG = 'tag:yaml.org,2002:';

function toValue(node: YNode | null | undefined, ctx: Ctx): JsonValue {
  if (node === null || node === undefined) return null;
  if (Y().isScalar(node)) return scalarValue(node, ctx);
  if (Y().isAlias(node)) return aliasValue(node, ctx);
  if (Y().isSeq(node)) {
    const items = node.items as (YNode | null)[];
    const arr: JsonValue[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) arr[i] = toValue(items[i], ctx);
    return arr;
  }
  if (Y().isMap(node)) {
    if (!node.flow) refuseEmptyKey(node, ctx);
    return mapValue(node.items as { key: unknown; value: unknown }[], ctx);
  }
  return null;
}

/** Before the first alias of a document is expanded, the whole document's expansion is bounded. */
function checkAliasBudget(ctx: Ctx): void {
  if (ctx.aliasesChecked) return;
  ctx.aliasesChecked = true;
  const excessive = excessiveAliasing(ctx.doc);
  if (excessive !== undefined) throw new YamlSyntaxError(excessive, ctx.fileName, undefined);
}

function aliasValue(node: Alias, ctx: Ctx): JsonValue {
  checkAliasBudget(ctx);
  const target = node.resolve(ctx.doc) as YNode | undefined;
  if (target === undefined) {
    throw new YamlSyntaxError(`yaml: unknown anchor '${node.source}' referenced`, ctx.fileName, undefined);
  }
  if (ctx.aliasDepth > 1000) {
    throw new YamlSyntaxError(`yaml: anchor '${node.source}' value contains itself`, ctx.fileName, undefined);
  }
  // Each alias gets its own copy (kyaml DeAnchor copies the anchored node).
  ctx.aliasDepth++;
  try {
    return toValue(target, ctx);
  } finally {
    ctx.aliasDepth--;
  }
}

function scalarValue(node: Scalar, ctx: Ctx): JsonValue {
  const raw = node.value;
  const text = typeof raw === 'string' ? raw : raw === null || raw === undefined ? '' : String(raw);
  const tag = node.tag;
  if (tag === undefined) {
    // Quoted and block scalars are strings; plain ones go through go-yaml v3's resolver.
    return node.type === 'PLAIN' || node.type === undefined ? resolvePlainV3(text) : text;
  }
  if (tag === '!' || tag === TAG + 'str') return text;
  if (tag === TAG + 'binary') {
    // The yaml package already decodes !!binary; go-yaml gives the bytes as a string.
    if (raw instanceof Uint8Array) return new TextDecoder().decode(raw);
    return new TextDecoder().decode(Uint8Array.from(atob(text.replace(/\s+/g, '')), (c) => c.charCodeAt(0)));
  }
  if (tag.startsWith(TAG)) {
    const want = tag.slice(TAG.length);
    const v = resolvePlainV3(text);
    const got = v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : 'str';
    if (want === got || (want === 'float' && got === 'int') || want === 'timestamp' || !['int', 'float', 'bool', 'null'].includes(want)) {
      return v;
    }
    throw new YamlDecodeError(`yaml: cannot decode !!${got} \`${text}\` as a !!${want}`, ctx.fileName);
  }
  // Application tags (e.g. !Ref): go-yaml keeps the scalar's text.
  return text;
}

function isMergeKey(key: unknown): boolean {
  return Y().isScalar(key) && key.value === '<<' && (key.tag === TAG + 'merge' || (key.tag === undefined && key.type === 'PLAIN'));
}

function keyString(key: unknown, ctx: Ctx): string {
  if (key === null || key === undefined) return '';
  if (Y().isScalar(key)) {
    const v = key.value;
    return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
  }
  if (Y().isAlias(key)) {
    const v = aliasValue(key, ctx);
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return JSON.stringify(toValue(key as YNode, ctx));
}

function lineOf(node: unknown, ctx: Ctx): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? ctx.lineCounter.linePos(range[0]).line : 0;
}

/**
 * `: x` in a block mapping: the `yaml` package reads an empty key, go-yaml stops with "did not
 * find expected key" (at the 0-based line where the mapping starts, or the line of the ':' when
 * that is 0).
 */
function refuseEmptyKey(node: YNode, ctx: Ctx): void {
  for (const pair of (node as { items: { key: unknown; value: unknown }[] }).items) {
    const key = pair.key;
    const empty =
      key === null ||
      key === undefined ||
      (Y().isScalar(key) && key.type === 'PLAIN' && key.tag === undefined && key.source === '' && key.range?.[0] === key.range?.[1]);
    if (!empty) continue;
    const start = lineOf(node, ctx) - 1;
    const at = pair.value !== null && pair.value !== undefined ? lineOf(pair.value, ctx) - 1 : start;
    const line = start > 0 ? start : at;
    throw new YamlSyntaxError(`yaml: line ${line}: did not find expected key`, ctx.fileName, line);
  }
}

function mapValue(items: { key: unknown; value: unknown }[], ctx: Ctx): JsonObject {
  const obj: JsonObject = {};
  let merge: unknown;
  let seen: Map<string, unknown> | undefined;
  for (const pair of items) {
    if (isMergeKey(pair.key)) {
      if (merge !== undefined) throw new YamlDecodeError('duplicate merge key', ctx.fileName);
      merge = pair.value ?? null;
      continue;
    }
    const k = keyString(pair.key, ctx);
    if (ctx.dupError) {
      seen ??= new Map();
      const first = seen.get(k);
      if (first !== undefined) {
        throw new YamlDecodeError(
          `yaml: unmarshal errors:\n  line ${lineOf(pair.key, ctx)}: mapping key ${JSON.stringify(k)} already defined at line ${lineOf(first, ctx)}`,
          ctx.fileName,
        );
      }
      seen.set(k, pair.key);
    }
    const value = toValue(pair.value as YNode | null, ctx);
    setKey(obj, k, value);
    noteStyle(obj, k, pair.value, value);
  }
  if (merge === undefined) return obj;
  // `<<`: keys of the mapping itself win; among merged mappings the first listed wins.
  const sources = mergeSources(merge, ctx);
  const merged: JsonObject = {};
  for (let i = sources.length - 1; i >= 0; i--) assign(merged, sources[i]!);
  return assign(merged, obj);
}

/** Records how the scalar value of `k` was written (see scalar-meta.ts). */
function noteStyle(obj: JsonObject, k: string, node: unknown, value: JsonValue): void {
  if (node === null || node === undefined) {
    markEmpty(obj, k);
    return;
  }
  if (!Y().isScalar(node) || node.tag !== undefined) return;
  if (node.type === 'PLAIN' || node.type === undefined) {
    if (value === null) {
      if (node.source === '' || node.value === '') markEmpty(obj, k);
    } else if (value !== node.value) markPlain(obj, k, String(node.value));
  } else markQuoted(obj, k);
}

/** Plain own-property write, also for a key named "__proto__". */
function setKey(obj: JsonObject, k: string, v: JsonValue): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  else obj[k] = v;
}

function assign(target: JsonObject, source: JsonObject): JsonObject {
  for (const k of Object.keys(source)) setKey(target, k, source[k]!);
  return target;
}

function mergeSources(merge: unknown, ctx: Ctx): JsonObject[] {
  const asMap = (n: unknown): JsonObject => {
    let target = n;
    if (Y().isAlias(n)) {
      checkAliasBudget(ctx);
      target = n.resolve(ctx.doc);
      if (target === undefined) {
        throw new YamlSyntaxError(`yaml: unknown anchor '${n.source}' referenced`, ctx.fileName, undefined);
      }
      if (!Y().isMap(target)) throw new YamlDecodeError('invalid map merge: received alias for a non-map value', ctx.fileName);
    }
    if (!Y().isMap(target)) throw new YamlDecodeError('map merge requires map or sequence of maps as the value', ctx.fileName);
    return toValue(target as YNode, ctx) as JsonObject;
  };
  if (Y().isSeq(merge)) {
    return (merge.items as unknown[]).map((item) => {
      if (Y().isSeq(item)) throw new YamlDecodeError('invalid map merge: received a nested sequence', ctx.fileName);
      return asMap(item);
    });
  }
  if (merge === null || (Y().isScalar(merge) && merge.type === 'PLAIN' && resolvePlainV3(String(merge.value ?? '')) === null)) {
    return [];
  }
  return [asMap(merge)];
}

// --- syntax errors ------------------------------------------------------------------------

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

/**
 * Translate the `yaml` package's first error into go-yaml's message and line numbering (libyaml
 * reports scanner errors at the 1-based line of the problem, parser errors at the 0-based line
 * where the enclosing collection started). Recognised: the common shapes of malformed
 * Kubernetes YAML; anything else keeps the `yaml` package's own description.
 */
function syntaxError(err: YAMLError, piece: string, lc: LineCounter, fileName: string): YamlSyntaxError {
  const start = lc.linePos(err.pos[0]);
  const end = lc.linePos(err.pos[1]);
  const lines = piece.split('\n');
  let line = start.line;
  let msg: string;
  const first = err.message.split('\n')[0]!;
  switch (err.code) {
    case 'MULTILINE_IMPLICIT_KEY':
      // A multi-line plain scalar followed by ': ' - reported where the ':' is.
      msg = 'mapping values are not allowed in this context';
      line = end.line;
      break;
    case 'BLOCK_AS_IMPLICIT_KEY':
      if (/sequence/i.test(first)) {
        // "- item" inside a block mapping: libyaml's parser names the line before the
        // mapping's first key (its 0-based start line).
        msg = 'did not find expected key';
        const col = indentOf(lines[start.line - 1] ?? '');
        let k = start.line - 1; // 1-based line of the '-' is start.line; scan upwards
        let firstKey = start.line;
        while (k >= 1) {
          const l = lines[k - 1]!;
          if (l.trim() === '' || l.trimStart().startsWith('#')) {
            k--;
            continue;
          }
          if (indentOf(l) === col) firstKey = k;
          else if (indentOf(l) < col) break;
          k--;
        }
        line = firstKey - 1 > 0 ? firstKey - 1 : start.line - 1;
      } else {
        msg = 'mapping values are not allowed in this context';
      }
      break;
    case 'TAB_AS_INDENT':
    case 'BAD_SCALAR_START':
      msg = 'found character that cannot start any token';
      break;
    case 'BAD_DQ_ESCAPE':
      msg = 'found unknown escape character';
      break;
    case 'BAD_INDENT':
      if (/flow sequence/i.test(first)) msg = "did not find expected ',' or ']'";
      else if (/flow mapping/i.test(first)) msg = "did not find expected ',' or '}'";
      else msg = 'did not find expected key';
      line = Math.max(start.line - 1, 1);
      break;
    case 'MISSING_CHAR':
      if (/quote|"|'/.test(first)) msg = 'found unexpected end of stream';
      else if (/\]/.test(first)) msg = "did not find expected ',' or ']'";
      else if (/\}/.test(first)) msg = "did not find expected ',' or '}'";
      else msg = 'could not find expected \':\'';
      break;
    case 'UNEXPECTED_TOKEN':
      msg = 'did not find expected <document start>';
      break;
    default:
      msg = first.charAt(0).toLowerCase() + first.slice(1);
  }
  return new YamlSyntaxError(line > 0 ? `yaml: line ${line}: ${msg}` : `yaml: ${msg}`, fileName, line > 0 ? line : undefined);
}
