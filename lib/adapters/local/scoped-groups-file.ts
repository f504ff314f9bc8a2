import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import { parseYamlText } from '../../pipeline/config/parse-config.js';
import { formatPath } from '../../pipeline/object-path.js';
import type { ReferenceScope } from '../../ports/secret-source.js';

/**
 * The shape of `.stageline/secrets.yaml` and `.stageline/variables.yaml` (DESIGN §7):
 * `group → key → value` at the top level (organization scope), and under `environments:`
 * `env → group → key → value` (environment scope). `environments` is therefore not a group name.
 * A missing file is an empty source.
 */
export class ScopedGroupsFile {
  private loaded?: Promise<Groups>;

  constructor(
    readonly path: string,
    private readonly describeValue: (value: unknown) => boolean,
    private readonly expected: string,
  ) {}

  async lookup(scope: ReferenceScope, group: string, key: string): Promise<unknown> {
    const groups = await (this.loaded ??= this.load());
    const groupsInScope = scope.env === undefined ? groups.top : groups.environments[scope.env];
    const values = groupsInScope?.[group];
    return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : undefined;
  }

  private async load(): Promise<Groups> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { top: {}, environments: {} };
      throw error;
    }
    const data = parseYamlText(text, this.path) ?? {};
    if (!isMap(data)) throw new ConfigError(`${this.path}: expected a map of group → key → value`);
    const { environments = {}, ...top } = data;
    if (!isMap(environments)) throw new ConfigError(`${this.path}: environments: expected a map of environment → group → key → value`);
    const result: Groups = { top: this.groups(top, []), environments: {} };
    for (const [env, groups] of Object.entries(environments)) {
      if (!isMap(groups)) throw new ConfigError(`${this.path}: ${formatPath(['environments', env])}: expected a map of group → key → value`);
      result.environments[env] = this.groups(groups, ['environments', env]);
    }
    return result;
  }

  private groups(data: Record<string, unknown>, path: string[]): Record<string, Record<string, unknown>> {
    for (const [group, values] of Object.entries(data)) {
      if (!isMap(values)) throw new ConfigError(`${this.path}: ${formatPath([...path, group])}: expected a map of key → value (a group)`);
      for (const [key, value] of Object.entries(values)) {
        // The message says what was expected, never what was found: the file holds secrets.
        if (!this.describeValue(value)) throw new ConfigError(`${this.path}: ${formatPath([...path, group, key])}: expected ${this.expected}`);
      }
    }
    return data as Record<string, Record<string, unknown>>;
  }
}

interface Groups {
  top: Record<string, Record<string, unknown>>;
  environments: Record<string, Record<string, Record<string, unknown>>>;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
