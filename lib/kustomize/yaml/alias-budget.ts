/**
 * A bound on alias expansion, checked before any alias is expanded: go-yaml v3's decoder rule
 * ("document contains excessive aliasing": more than 100 aliases, more than 400,000 decoded
 * nodes, and a ratio of aliases to nodes above what that size allows, 0.99 falling to 0.10 at
 * 4,000,000), plus a hard ceiling of 2,000,000 nodes reached through aliases. The counts are
 * computed on the parsed tree (each anchored node once), so an alias bomb (9 levels of 9
 * aliases: 387 million nodes once expanded) is refused after visiting a few dozen nodes.
 */
import type { Document, Node as YNode } from 'yaml';
import { yamlLibrary as Y } from './library.js';

const RATIO_RANGE_LOW = 400_000;
const RATIO_RANGE_HIGH = 4_000_000;
const ALIASED_NODES_CEILING = 2_000_000;

function allowedAliasRatio(decodes: number): number {
  if (decodes <= RATIO_RANGE_LOW) return 0.99;
  if (decodes >= RATIO_RANGE_HIGH) return 0.1;
  return 0.99 - 0.89 * ((decodes - RATIO_RANGE_LOW) / (RATIO_RANGE_HIGH - RATIO_RANGE_LOW));
}

/** Returns go-yaml's message when expanding `doc`'s aliases would be excessive, else undefined. */
export function excessiveAliasing(doc: Document): string | undefined {
  const memo = new Map<unknown, [number, number]>();
  const active = new Set<unknown>();
  const count = (node: unknown): [number, number] => {
    if (node === null || node === undefined) return [1, 0];
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (active.has(node)) return [1, 0]; // an anchor containing itself: reported elsewhere
    active.add(node);
    let decodes = 1;
    let aliases = 0;
    if (Y().isAlias(node)) {
      const [d, a] = count(node.resolve(doc) as YNode | undefined);
      decodes += d;
      aliases += a + 1;
    } else if (Y().isMap(node) || Y().isSeq(node)) {
      for (const item of node.items as unknown[]) {
        if (Y().isPair(item)) {
          const [kd, ka] = count(item.key);
          const [vd, va] = count(item.value);
          decodes += kd + vd;
          aliases += ka + va;
        } else {
          const [d, a] = count(item);
          decodes += d;
          aliases += a;
        }
        if (decodes > Number.MAX_SAFE_INTEGER / 16) break; // already far past any bound
      }
    }
    active.delete(node);
    const result: [number, number] = [decodes, aliases];
    memo.set(node, result);
    return result;
  };
  const [decodes, aliases] = count(doc.contents);
  if (aliases === 0) return undefined;
  if (decodes > ALIASED_NODES_CEILING) return 'yaml: document contains excessive aliasing';
  if (aliases > 100 && decodes > RATIO_RANGE_LOW && aliases / decodes > allowedAliasRatio(decodes)) {
    return 'yaml: document contains excessive aliasing';
  }
  return undefined;
}
