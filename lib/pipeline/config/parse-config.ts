import { parseDocument } from 'yaml';
import type * as z from 'zod/mini';
import { ConfigError } from '../../errors.js';
import { formatPath, type PathSegment } from '../object-path.js';
import { safeParse } from './zod.js';

/**
 * Parses YAML `text` read from `file` and validates it with `schema`. Errors are ConfigErrors
 * of one line: `<file>: <path>: <what was expected>` (plus how many other problems there are).
 */
export function parseConfigYaml<S extends z.ZodMiniType>(schema: S, text: string, file: string, hint?: string): z.output<S> {
  const data = parseYamlText(text, file);
  const result = safeParse(schema, data);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = describeIssue(issues[0]!, data);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new ConfigError(`${file}: ${first}${more}`, { hint });
}

/** YAML text → plain data; syntax errors name the file, line and column. */
export function parseYamlText(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  const error = document.errors[0];
  if (error) {
    const where = error.linePos?.[0] ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : '';
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${file}: ${where}invalid YAML: ${message}`);
  }
  return document.toJS({ maxAliasCount: 100 });
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  keys?: string[];
  values?: unknown[];
}

function describeIssue(issue: Issue, data: unknown): string {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  const where = formatPath(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys ?? [];
      const fields = keys.map((key) => formatPath([...path, key])).join(', ');
      return `${fields}: unknown field${keys.length > 1 ? 's' : ''} (check the spelling)`;
    }
    case 'invalid_type': {
      const actual = valueAt(data, path);
      const got = actual === undefined ? 'it is missing' : `got ${describeValue(actual)}`;
      return `${where}: expected ${article(issue.expected ?? 'a value')}, ${got}`;
    }
    case 'invalid_value':
      return `${where}: expected one of ${(issue.values ?? []).map((value) => JSON.stringify(value)).join(', ')}, got ${describeValue(valueAt(data, path))}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function article(type: string): string {
  if (type === 'object' || type === 'array') return `an ${type}`;
  if (type === 'string' || type === 'number' || type === 'boolean') return `a ${type}`;
  return type;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
