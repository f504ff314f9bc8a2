import type { JsonValue } from '../kustomize/json.js';
import { isJsonObject } from '../kustomize/json.js';
import { TemplateError } from './errors.js';
import { formatPath, type PathSegment } from './object-path.js';

/** The build variables an inline template can use, as `{{ .Name }}`. */
export interface TemplateVariables {
  Image: string;
  CommitSHA: string;
  ShortSHA: string;
  Branch: string;
  Tag: string;
  Service: string;
  Env: string;
}

export const TEMPLATE_VARIABLES: readonly (keyof TemplateVariables)[] = ['Image', 'CommitSHA', 'ShortSHA', 'Branch', 'Tag', 'Service', 'Env'];

/** `{{ .Name }}` with any amount of spaces inside the braces; the only construct supported. */
const PLACEHOLDER = /^\{\{ *\.([A-Za-z][A-Za-z0-9]*) *\}\}/;

/**
 * Renders the Go-template placeholders of every string (map keys included) in `template`.
 * Only `{{ .Variable }}` is supported; pipes, functions, `{{-` trimming, unknown variables and
 * unclosed braces are errors naming `source` and the path inside the manifest, never left as text.
 */
export function renderTemplate(template: JsonValue, variables: TemplateVariables, source: string): JsonValue {
  return renderValue(template, variables, source, []);
}

function renderValue(value: JsonValue, variables: TemplateVariables, source: string, path: PathSegment[]): JsonValue {
  if (typeof value === 'string') return renderString(value, variables, source, path);
  if (Array.isArray(value)) return value.map((item, index) => renderValue(item, variables, source, [...path, index]));
  if (isJsonObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null && /^\{.*\}$/.test(key)) {
        throw new TemplateError(`${source}: ${formatPath(path)}: the template {${key}} is not quoted, so YAML read it as a map`, {
          hint: 'quote values that start with a placeholder, e.g. image: "{{ .Image }}"',
        });
      }
      const renderedKey = renderString(key, variables, source, [...path, key]);
      out[renderedKey] = renderValue(item, variables, source, [...path, key]);
    }
    return out;
  }
  return value;
}

function renderString(text: string, variables: TemplateVariables, source: string, path: PathSegment[]): string {
  let out = '';
  let rest = text;
  for (let start = rest.indexOf('{{'); start !== -1; start = rest.indexOf('{{')) {
    out += rest.slice(0, start);
    rest = rest.slice(start);
    const match = PLACEHOLDER.exec(rest);
    if (!match) throw new TemplateError(`${source}: ${formatPath(path)}: ${unsupported(rest)}`, { hint: `supported: ${supported()}` });
    const name = match[1]!;
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      throw new TemplateError(`${source}: ${formatPath(path)}: unknown template variable .${name}`, { hint: `supported: ${supported()}` });
    }
    out += variables[name as keyof TemplateVariables];
    rest = rest.slice(match[0].length);
  }
  return out + rest;
}

function unsupported(rest: string): string {
  const end = rest.indexOf('}}');
  if (end === -1) return `unclosed template action "${truncate(rest)}" (no "}}")`;
  return `unsupported template construct "${truncate(rest.slice(0, end + 2))}": only {{ .Variable }} placeholders are allowed`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function supported(): string {
  return TEMPLATE_VARIABLES.map((name) => `{{ .${name} }}`).join(', ');
}
