import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sha256Hex } from '../../../lib/pipeline/manifest.js';
import { errorOf, project, resolve } from './harness.js';

describe('Git-based resolution', () => {
  it('yields one manifest per overlay except local, named after the overlay, env from metadata.env', () => {
    const result = resolve(project({ dev: 'app-dev', local: 'local', production: 'app-production' }));
    expect(result.mode).toBe('git');
    expect(result.manifests.map((manifest) => [manifest.overlay, manifest.identity.env])).toEqual([
      ['dev', 'app-dev'],
      ['production', 'app-production'],
    ]);
    expect(result.skipped).toEqual([{ overlay: 'local', reason: 'local', detail: expect.stringContaining('never deploys') }]);
  });

  it('fills a blank image with the built image', () => {
    const [dev] = resolve(project({ dev: 'app-dev' })).manifests;
    expect(parse(dev!.yaml).spec.container.app.image).toBe('registry.example/hello:abcdef0');
    expect(dev!.digest).toBe(sha256Hex(dev!.yaml));
    expect(dev!.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps an authored image', () => {
    const fs = project({ dev: 'app-dev' });
    fs.writeFile('_kustomize/overlays/dev/patch.yaml', 'apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-dev }\nspec: { container: { app: { image: "nginx:1.27" } } }\n');
    expect(resolve(fs).manifests[0]!.manifest).toMatchObject({ spec: { container: { app: { image: 'nginx:1.27' } } } });
  });

  it('refuses an overlay without metadata.env, naming the overlay', () => {
    const error = errorOf(() => resolve(project({ dev: null })));
    expect(error.message).toBe('overlay "dev" (_kustomize/overlays/dev): metadata.env: missing; every deployable manifest names its environment');
    expect(error).toMatchObject({ code: 'MANIFEST_INVALID' });
  });

  it('refuses an environment the organization does not have, listing the known ones', () => {
    expect(errorOf(() => resolve(project({ qa: 'app-qa' }))).message).toBe(
      'overlay "qa" (_kustomize/overlays/qa): metadata.env: "app-qa" is not an environment of the organization (known: app-dev, app-staging, app-production)',
    );
  });

  it('refuses an overlay yielding more than one resource', () => {
    const fs = project({ dev: 'app-dev' });
    fs.writeFile('_kustomize/overlays/dev/kustomization.yaml', 'resources: [../../base, extra.yaml]\npatches:\n  - path: patch.yaml\n');
    fs.writeFile('_kustomize/overlays/dev/extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra }\n');
    expect(errorOf(() => resolve(fs)).message).toBe(
      'overlay "dev" (_kustomize/overlays/dev): yields 2 resources (KubernetesDeployment/hello, ConfigMap/extra), expected exactly one',
    );
  });

  it('refuses an overlay yielding no resource', () => {
    const fs = project({ dev: 'app-dev' });
    fs.writeFile('_kustomize/overlays/dev/kustomization.yaml', 'resources: []\n');
    expect(errorOf(() => resolve(fs)).message).toBe('overlay "dev" (_kustomize/overlays/dev): yields 0 resources, expected exactly one');
  });

  it('wraps an engine error with the overlay', () => {
    const fs = project({ dev: 'app-dev' });
    fs.writeFile('_kustomize/overlays/dev/kustomization.yaml', 'resources: [missing.yaml]\n');
    expect(errorOf(() => resolve(fs)).message).toMatch(/^overlay "dev" \(_kustomize\/overlays\/dev\): .*missing\.yaml/);
  });

  it('explains a missing overlays directory', () => {
    const error = errorOf(() => resolve(project({})));
    expect(error.message).toBe('_kustomize/overlays: no overlay directory (missing or empty); Git-based resolution builds one overlay per environment');
    expect(error.hint).toContain('kustomize init --new');
  });

  it('gives an empty overlays directory the same answer as a missing one (a stored build keeps no empty directory)', () => {
    const fs = project({});
    fs.mkdir('_kustomize/overlays');
    expect(errorOf(() => resolve(fs)).message).toBe(errorOf(() => resolve(project({}))).message);
  });

  it('validates references while resolving: a secret in env.variables names the overlay and path', () => {
    const fs = project({ dev: 'app-dev' });
    fs.writeFile('_kustomize/overlays/dev/patch.yaml', 'apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-dev }\nspec: { container: { app: { env: { variables: { DB: $secrets-group/db/password } } } } }\n');
    expect(errorOf(() => resolve(fs)).message).toBe(
      'overlay "dev" (_kustomize/overlays/dev): spec.container.app.env.variables.DB: secret reference $secrets-group/db/password in a non-secret field; its value would be stored in plain text',
    );
  });

  it('lists the references of each manifest, names only', () => {
    const fs = project({ dev: 'app-dev' });
    fs.writeFile('_kustomize/overlays/dev/patch.yaml', 'apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-dev }\nspec: { container: { app: { env: { variables: { LOG: $variables-group/obs/level }, secrets: { DB: $secrets-group/db/password, DB2: $secrets-group/db/password } } } } }\n');
    expect(resolve(fs).manifests[0]!.references).toEqual({ secrets: ['db/password'], variables: ['obs/level'] });
  });

  it('warns about a {{ … }} left in a Git-mode manifest, naming the overlay and the path; it still deploys as written', () => {
    const fs = project({ dev: 'app-dev', staging: 'app-staging' });
    fs.writeFile('_kustomize/overlays/dev/patch.yaml', 'apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-dev }\nspec: { container: { app: { image: "hello:{{ .ShortSHA }}" } } }\n');
    const [dev, staging] = resolve(fs).manifests;
    expect(dev!.warnings).toEqual([
      'overlay "dev" (_kustomize/overlays/dev): spec.container.app.image contains "{{ .ShortSHA }}", which Git mode does not render (templates are for inline spec.deploymentTargets); it deploys as written',
    ]);
    expect(dev!.manifest).toMatchObject({ spec: { container: { app: { image: 'hello:{{ .ShortSHA }}' } } } });
    expect(staging!.warnings).toBeUndefined();
  });
});
