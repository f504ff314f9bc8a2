import { TemplateError } from '../errors.js';

const ACTION = /\{\{([\s\S]*?)\}\}/g;
const MANIFEST_FILE = /^\s*\.ManifestFile\s*$/;

/**
 * Renders an organization's provisioner command (`spec.stackJobs.provisioners.<kind>.preview|apply`):
 * every `{{ .ManifestFile }}` (any spacing inside the braces) becomes `manifestFile`, shell-quoted.
 * Any other Go-template construct (another variable, a pipeline, trim markers `{{-`, an unclosed
 * `{{`) is an error, never left as text. `where` names the template in messages.
 */
export function renderCommandTemplate(template: string, manifestFile: string, where: string): string {
  const rendered = template.replace(ACTION, (action: string, inner: string) => {
    if (!MANIFEST_FILE.test(inner)) {
      throw new TemplateError(`${where}: unsupported template construct ${action}; a provisioner command may only use {{ .ManifestFile }}`, {
        hint: 'fix spec.stackJobs.provisioners in the organization config',
      });
    }
    return shellQuote(manifestFile);
  });
  if (rendered.includes('{{')) {
    throw new TemplateError(`${where}: unclosed template action "{{"; a provisioner command may only use {{ .ManifestFile }}`, {
      hint: 'fix spec.stackJobs.provisioners in the organization config',
    });
  }
  return rendered;
}

/** Checks a template without rendering it (before anything is written or run). */
export function checkCommandTemplate(template: string, where: string): void {
  renderCommandTemplate(template, '/dev/null', where);
}

/** POSIX single-quoting: the text reaches the command as one word, whatever it contains. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
