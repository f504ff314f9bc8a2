import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ServiceFixture {
  name: string;
  concurrency?: 'supersede' | 'queue' | 'parallel';
  /** Environments (overlay names: dev, staging, production) whose apply fails. */
  failIn?: string[];
}

const OVERLAYS: Record<string, string> = { dev: 'app-dev', staging: 'app-staging', production: 'app-production' };

/**
 * A service repository as a platform team writes one: stageline.yaml and a `_kustomize/` base
 * with dev, staging and production overlays; production reads the database password (a secret)
 * and every environment a log level (a variable).
 */
export function writeService(fixture: ServiceFixture): string {
  const dir = mkdtempSync(join(tmpdir(), `stageline-account-${fixture.name}-`));
  const files: Record<string, string> = {
    'stageline.yaml': `apiVersion: stageline.dev/v1
kind: Service
metadata:
  name: ${fixture.name}
  org: acme
spec:
  concurrency: ${fixture.concurrency ?? 'supersede'}
`,
    '_kustomize/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
    '_kustomize/base/deployment.yaml': `apiVersion: kubernetes.openmcf.org/v1
kind: KubernetesDeployment
metadata:
  name: ${fixture.name}
  env: base
spec:
  container:
    app:
      image: ""
      env:
        variables:
          LOG_LEVEL: $variables-group/observability/log-level
        secrets:
          DATABASE_PASSWORD: $secrets-group/database/password
`,
  };
  for (const [overlay, env] of Object.entries(OVERLAYS)) {
    files[`_kustomize/overlays/${overlay}/kustomization.yaml`] = 'resources:\n  - ../../base\npatches:\n  - path: environment.yaml\n';
    files[`_kustomize/overlays/${overlay}/environment.yaml`] = `apiVersion: kubernetes.openmcf.org/v1
kind: KubernetesDeployment
metadata:
  name: ${fixture.name}
  env: ${env}
${fixture.failIn?.includes(overlay) ? 'spec:\n  test:\n    failApply: true\n' : ''}`;
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}
