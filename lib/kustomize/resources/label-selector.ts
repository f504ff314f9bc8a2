import { KustomizeError } from '../errors.js';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/**
 * A Kubernetes label selector string (`app=web,tier!=db,env in (a,b),!legacy`), as
 * kustomize's patch and replacement targets accept in `labelSelector` / `annotationSelector`.
 */
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const requirements = splitTopLevel(selector.trim()).filter((part) => part.trim() !== '').map(parseRequirement);
  return (labels) => requirements.every((requirement) => matches(requirement, labels));
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function parseRequirement(raw: string): Requirement {
  const part = raw.trim();
  const setMatch = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((value) => value.trim()).filter((value) => value !== '');
    return { key: setMatch[1]!, op: setMatch[2] as 'in' | 'notin', values };
  }
  const notEqual = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(part);
  if (notEqual) return { key: notEqual[1]!, op: 'notin', values: [notEqual[2]!] };
  const equal = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(part);
  if (equal) return { key: equal[1]!, op: 'in', values: [equal[2]!] };
  const absent = /^!\s*([^\s!=]+)$/.exec(part);
  if (absent) return { key: absent[1]!, op: 'notexists' };
  if (/^[^\s!=()]+$/.test(part)) return { key: part, op: 'exists' };
  throw new KustomizeError(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
}

function matches(requirement: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  switch (requirement.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && requirement.values.includes(labels[requirement.key]!);
    case 'notin':
      return !has || !requirement.values.includes(labels[requirement.key]!);
  }
}
