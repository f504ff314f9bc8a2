import { describe, expect, it } from 'vitest';
import { renderCommandTemplate, shellQuote } from '../../../../lib/pipeline/stack-job/command-template.js';

describe('provisioner command templates', () => {
  it.each([
    ['pulumi up --manifest {{ .ManifestFile }}'],
    ['pulumi up --manifest {{.ManifestFile}}'],
    ['pulumi up --manifest {{   .ManifestFile\t}}'],
  ])('replaces %j with the shell-quoted path', (template) => {
    expect(renderCommandTemplate(template, '/tmp/x/manifest.yaml', 'apply')).toBe("pulumi up --manifest '/tmp/x/manifest.yaml'");
  });

  it('replaces every occurrence and leaves commands without a placeholder alone', () => {
    expect(renderCommandTemplate('a {{ .ManifestFile }} b {{.ManifestFile}}', '/m', 'apply')).toBe("a '/m' b '/m'");
    expect(renderCommandTemplate('make deploy', '/m', 'apply')).toBe('make deploy');
  });

  it.each([['{{ .Image }}'], ['{{ .ManifestFile | printf "%s" }}'], ['{{- .ManifestFile -}}'], ['{{ if .X }}y{{ end }}'], ['x {{ .ManifestFile']])('refuses %j', (template) => {
    expect(() => renderCommandTemplate(template, '/m', 'config/organization.yaml: spec.stackJobs.provisioners.K.apply')).toThrow(
      /^config\/organization\.yaml: spec\.stackJobs\.provisioners\.K\.apply: (unsupported template construct|unclosed template action)/,
    );
  });

  it('quotes single quotes so the path stays one word', () => {
    expect(shellQuote("/tmp/it's")).toBe("'/tmp/it'\\''s'");
  });
});
