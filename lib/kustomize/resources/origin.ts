import { posix } from 'node:path';

/** Where a resource came from, or which transformer touched it (kustomize's buildMetadata). */
export interface Origin {
  path?: string;
  repo?: string;
  ref?: string;
  configuredIn?: string;
  configuredBy?: { apiVersion?: string; kind?: string; name?: string; namespace?: string };
}

export function appendOriginPath(origin: Origin, path: string): Origin {
  return { ...origin, path: posix.join(origin.path ?? '', path) };
}

/** The origin a built-in generator or transformer configured in a kustomization file stamps. */
export function builtinOrigin(origin: Origin, kustomizationFile: string, kind: string): Origin {
  return { repo: origin.repo, ref: origin.ref, configuredIn: posix.join(origin.path ?? '', kustomizationFile), configuredBy: { apiVersion: 'builtin', kind } };
}

/** kyaml.Marshal of an Origin: struct field order, empty fields omitted, 2-space indentation. */
export function originYaml(origin: Origin): string {
  return originLines(origin).map((line) => `${line}\n`).join('');
}

/** kyaml.Marshal of a list of Origins (the transformations annotation). */
export function transformationsYaml(origins: readonly Origin[]): string {
  return origins
    .map((origin) => originLines(origin).map((line, index) => `${index === 0 ? '- ' : '  '}${line}\n`).join(''))
    .join('');
}

function originLines(origin: Origin): string[] {
  const lines: string[] = [];
  const scalar = (key: string, value: string | undefined, indent = '') => {
    if (value) lines.push(`${indent}${key}: ${quoteIfNeeded(value)}`);
  };
  scalar('path', origin.path);
  scalar('repo', origin.repo);
  scalar('ref', origin.ref);
  scalar('configuredIn', origin.configuredIn);
  const by = origin.configuredBy;
  if (by && (by.apiVersion || by.kind || by.name || by.namespace)) {
    lines.push('configuredBy:');
    scalar('apiVersion', by.apiVersion, '  ');
    scalar('kind', by.kind, '  ');
    scalar('name', by.name, '  ');
    scalar('namespace', by.namespace, '  ');
  }
  return lines;
}

function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9_./-][A-Za-z0-9_./ -]*$/.test(value) && !/^(true|false|null|~|[-+]?[0-9.]+)$/i.test(value) ? value : JSON.stringify(value);
}
