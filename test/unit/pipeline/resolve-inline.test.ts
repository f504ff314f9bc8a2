import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderTemplate, type TemplateVariables } from '../../../lib/pipeline/go-template.js';
import { errorOf, resolve, service } from './harness.js';
import { MemoryFileSystem } from '../../../lib/kustomize/memory-file-system.js';

const VARS: TemplateVariables = { Image: 'img:1', CommitSHA: 'a'.repeat(40), ShortSHA: 'aaaaaaa', Branch: 'main', Tag: 'v1', Service: 'hello', Env: 'app-dev' };

function inline(targets: string) {
  return service(`\n  deploymentTargets:\n${targets}`);
}

const DEV_TARGET = `    - env: app-dev
      kind: KubernetesDeployment
      manifest:
        apiVersion: kubernetes.openmcf.org/v1
        metadata: { name: "{{ .Service }}-{{.Env}}" }
        spec: { container: { app: { image: "{{  .Image  }}" } }, note: "built {{ .ShortSHA }} of {{ .Branch }} ({{ .Tag }}) {{ .CommitSHA }}" }
`;

describe('inline resolution', () => {
  it('renders every placeholder and spacing variant, fills kind and metadata.env from the target', () => {
    const result = resolve(new MemoryFileSystem(), { service: inline(DEV_TARGET), build: { tag: 'v1.2.0' } });
    expect(result.mode).toBe('inline');
    const [dev] = result.manifests;
    expect(dev!.overlay).toBe('app-dev');
    expect(parse(dev!.yaml)).toEqual({
      apiVersion: 'kubernetes.openmcf.org/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'hello-app-dev', env: 'app-dev' },
      spec: { container: { app: { image: 'registry.example/hello:abcdef0' } }, note: 'built abcdef0 of main (v1.2.0) abcdef0123456789abcdef0123456789abcdef01' },
    });
  });

  it.each([
    ['{{ .Image | upper }}', 'unsupported template construct "{{ .Image | upper }}": only {{ .Variable }} placeholders are allowed'],
    ['{{ printf "%s" .Image }}', 'unsupported template construct "{{ printf "%s" .Image }}": only {{ .Variable }} placeholders are allowed'],
    ['{{ .Region }}', 'unknown template variable .Region'],
    ['{{ .Image }', 'unclosed template action "{{ .Image }" (no "}}")'],
    ['{{- .Image }}', 'unsupported template construct "{{- .Image }}": only {{ .Variable }} placeholders are allowed'],
  ])('%s is an error naming the target and the path', (template, problem) => {
    const targets = DEV_TARGET.replace('"{{  .Image  }}"', JSON.stringify(template));
    const error = errorOf(() => resolve(new MemoryFileSystem(), { service: inline(targets) }));
    expect(error.message).toBe(`stageline.yaml spec.deploymentTargets[0].manifest: spec.container.app.image: ${problem}`);
    expect(error).toMatchObject({ code: 'TEMPLATE_INVALID' });
  });

  it('explains an unquoted placeholder that YAML read as a map', () => {
    const svc = service('\n  deploymentTargets:\n    - env: app-dev\n      manifest:\n        apiVersion: x.io/v1\n        kind: X\n        metadata: { name: a }\n        spec:\n          image: {{ .Image }}\n');
    expect(errorOf(() => resolve(new MemoryFileSystem(), { service: svc })).message).toBe(
      'stageline.yaml spec.deploymentTargets[0].manifest: spec.image: the template {{ .Image }} is not quoted, so YAML read it as a map',
    );
  });

  it('refuses a target environment the organization does not have, and two targets for one environment', () => {
    expect(errorOf(() => resolve(new MemoryFileSystem(), { service: inline(DEV_TARGET.replace('env: app-dev', 'env: app-qa')) })).message).toBe(
      'stageline.yaml: spec.deploymentTargets[0].env: "app-qa" is not an environment of the organization (known: app-dev, app-staging, app-production)',
    );
    expect(errorOf(() => resolve(new MemoryFileSystem(), { service: inline(DEV_TARGET + DEV_TARGET) })).message).toBe(
      'stageline.yaml: spec.deploymentTargets[1].env: environment app-dev already has a target (spec.deploymentTargets[0]); one target per environment',
    );
  });

  it('refuses a manifest whose kind or env contradicts the target', () => {
    const targets = DEV_TARGET.replace('apiVersion: kubernetes.openmcf.org/v1', 'apiVersion: kubernetes.openmcf.org/v1\n        kind: Other');
    expect(errorOf(() => resolve(new MemoryFileSystem(), { service: inline(targets) })).message).toBe(
      'stageline.yaml: spec.deploymentTargets[0].manifest.kind: "Other" differs from the target\'s kind "KubernetesDeployment"',
    );
  });

  it('renders map keys and leaves text without placeholders alone', () => {
    expect(renderTemplate({ '{{ .Env }}-key': 'plain } text {', list: ['{{.Tag}}', 3, true, null] }, VARS, 'src')).toEqual({
      'app-dev-key': 'plain } text {',
      list: ['v1', 3, true, null],
    });
  });
});
