import { describe, expect, it } from 'vitest';
import { canonicalizeManifest, sha256Hex, validateManifest } from '../../../lib/pipeline/manifest.js';
import { errorOf } from './harness.js';

const VALID = { apiVersion: 'kubernetes.openmcf.org/v1', kind: 'KubernetesDeployment', metadata: { name: 'hello', env: 'app-dev', labels: { team: 'a' } } };

describe('manifest validation', () => {
  it('returns the identity of a valid manifest', () => {
    expect(validateManifest(VALID, 'src')).toEqual({ apiVersion: 'kubernetes.openmcf.org/v1', kind: 'KubernetesDeployment', name: 'hello', env: 'app-dev', labels: { team: 'a' } });
  });

  it.each([
    [{ ...VALID, apiVersion: undefined }, 'src: apiVersion: expected "<group>/<version>" like "kubernetes.openmcf.org/v1", got nothing'],
    [{ ...VALID, apiVersion: 'Kubernetes' }, 'src: apiVersion: expected "<group>/<version>" like "kubernetes.openmcf.org/v1", got "Kubernetes"'],
    [{ ...VALID, kind: 'deployment' }, 'src: kind: expected a PascalCase kind like "KubernetesDeployment", got "deployment"'],
    [{ ...VALID, metadata: { env: 'app-dev' } }, "src: metadata.name: expected a DNS-1123 name (lowercase letters, digits, '-' and '.'), got nothing"],
    [{ ...VALID, metadata: { name: 'Hello_World', env: 'app-dev' } }, "src: metadata.name: expected a DNS-1123 name (lowercase letters, digits, '-' and '.'), got \"Hello_World\""],
    [{ ...VALID, metadata: { name: 'hello', env: 'App Dev' } }, 'src: metadata.env: expected an environment name (a DNS-1123 label), got "App Dev"'],
    [{ ...VALID, metadata: { name: 'hello' } }, 'src: metadata.env: missing; every deployable manifest names its environment'],
  ])('refuses %j', (manifest, message) => {
    expect(errorOf(() => validateManifest(manifest as never, 'src')).message).toBe(message);
  });

  it('serialises canonically (sorted keys) with a sha256 digest independent of key order', () => {
    const a = canonicalizeManifest({ kind: 'K', apiVersion: 'v1', metadata: { name: 'x', env: 'e' } }, 'src');
    const b = canonicalizeManifest({ metadata: { env: 'e', name: 'x' }, apiVersion: 'v1', kind: 'K' }, 'src');
    expect(a.yaml).toBe('apiVersion: v1\nkind: K\nmetadata:\n  env: e\n  name: x\n');
    expect(b).toEqual(a);
    expect(a.digest).toBe(sha256Hex(a.yaml));
  });

  it('refuses a manifest over 256 KiB', () => {
    const big = { ...VALID, spec: { lines: Array.from({ length: 3000 }, (_, index) => `${'y'.repeat(100)}${index}`) } };
    expect(errorOf(() => canonicalizeManifest(big, 'overlay "dev"')).message).toMatch(/^overlay "dev": the manifest is \d+ bytes, more than the 262144-byte limit \(256 KiB\)$/);
  });

  it('refuses a manifest made big by one huge string (a size error, not a crash)', () => {
    const big = { ...VALID, spec: { blob: 'z'.repeat(300_000) } };
    expect(errorOf(() => canonicalizeManifest(big, 'overlay "dev"')).message).toMatch(/more than the 262144-byte limit/);
  });
});
