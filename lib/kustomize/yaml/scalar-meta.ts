/**
 * What a decoded value tree cannot say by itself but kyaml's node tree does: how each scalar of a
 * mapping was written. Kept on the mapping object under a symbol (invisible to Object.keys,
 * JSON and equality), shared by copies (every reader checks the value still matches).
 *
 * - `empty`: keys written with no value at all (`key:`). kyaml's merge drops them from a patched
 *   target, while an explicit `null` / `~` survives (merge2 VisitMap keeps a null with text).
 * - `quoted`: keys whose value was a quoted or block scalar without a tag. A strategic-merge patch
 *   copies that style onto the value it writes (merge2 SetStyle), so `9090` over `"8080"` is the
 *   string "9090".
 * - `plain`: the source text of plain scalars that resolved to a number or a boolean (`1e3`,
 *   `0x10`, `True`), which such a quoted copy keeps verbatim.
 */
import type { JsonObject } from '../json.js';

export const SCALAR_META: unique symbol = Symbol('kustomize scalar styles');

export interface ScalarMeta {
  empty?: Set<string>;
  quoted?: Set<string>;
  plain?: Map<string, string>;
}

type WithMeta = JsonObject & { [SCALAR_META]?: ScalarMeta };

export function scalarMetaOf(object: JsonObject): ScalarMeta | undefined {
  return (object as WithMeta)[SCALAR_META];
}

function ensureMeta(object: JsonObject): ScalarMeta {
  const holder = object as WithMeta;
  let meta = holder[SCALAR_META];
  if (meta === undefined) {
    meta = {};
    Object.defineProperty(holder, SCALAR_META, { value: meta, enumerable: false, writable: true, configurable: true });
  }
  return meta;
}

/** Shares `source`'s styles with its copy `target`. */
export function copyScalarMeta(source: JsonObject, target: JsonObject): void {
  const meta = (source as WithMeta)[SCALAR_META];
  if (meta !== undefined) Object.defineProperty(target, SCALAR_META, { value: meta, enumerable: false, writable: true, configurable: true });
}

export function markEmpty(object: JsonObject, key: string): void {
  (ensureMeta(object).empty ??= new Set()).add(key);
}

export function markQuoted(object: JsonObject, key: string): void {
  (ensureMeta(object).quoted ??= new Set()).add(key);
}

export function markPlain(object: JsonObject, key: string, text: string): void {
  (ensureMeta(object).plain ??= new Map()).set(key, text);
}

/** `key:` with nothing after it (and the value is still that null). */
export function isEmptyNull(object: JsonObject, key: string): boolean {
  return object[key] === null && scalarMetaOf(object)?.empty?.has(key) === true;
}

/** The value of `key` is a string that was written quoted or as a block scalar. */
export function isQuotedString(object: JsonObject, key: string): boolean {
  return typeof object[key] === 'string' && scalarMetaOf(object)?.quoted?.has(key) === true;
}

/** How a plain non-string scalar was written, if known. */
export function plainText(object: JsonObject, key: string): string | undefined {
  return scalarMetaOf(object)?.plain?.get(key);
}
