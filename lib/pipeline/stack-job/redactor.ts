/** The text that replaces a secret value wherever the runner emits text. */
export const REDACTED = '***';

/**
 * Replaces every known secret value in a text with `***`. The stack-job runner passes every line
 * it emits (its own log lines, the provisioner's relayed command output, failure messages, the
 * summary and outputs it stores) through one of these.
 *
 * Besides each value as is, it redacts the forms in which a value commonly reappears in output:
 * each line of a multi-line value (command output is relayed line by line) and the value as
 * escaped inside a JSON / double-quoted YAML string (a command that prints the manifest file).
 * Longer values are replaced first, so a value containing a shorter one is hidden whole.
 */
export interface Redactor {
  (text: string): string;
  /** Adds values to hide from now on (empty strings are ignored: there is nothing to hide). */
  add(values: Iterable<string>): void;
}

export function createRedactor(values: Iterable<string> = []): Redactor {
  const needles = new Set<string>();
  let ordered: string[] = [];

  const redact = ((text: string): string => {
    let out = text;
    for (const needle of ordered) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }) as Redactor;

  redact.add = (more: Iterable<string>) => {
    for (const value of more) {
      for (const form of formsOf(value)) needles.add(form);
    }
    ordered = [...needles].sort((a, b) => b.length - a.length);
  };

  redact.add(values);
  return redact;
}

function formsOf(value: string): string[] {
  if (value === '') return [];
  const forms = [value];
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) forms.push(escaped);
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) {
      if (line.trim() !== '') forms.push(line);
    }
  }
  return forms;
}
