import * as z from 'zod/mini';
import { API_VERSION, dnsLabel, duration, email } from './common.js';
import { ConfigError } from '../../errors.js';
import type { OrganizationConfig } from './organization.js';
import { parseConfigYaml } from './parse-config.js';

const relativeDir = z
  .string()
  .check(
    z.minLength(1),
    z.refine((dir) => !dir.startsWith('/') && !dir.split('/').includes('..'), { error: 'expected a directory inside the project (relative, no "..")' }),
  );

/**
 * One inline deployment target. `requiresApproval: true` adds a gate (with `approvers`, or the
 * organization's approvers of that environment); `false` never removes a gate the organization
 * requires (kept, with a warning: see docs/domain-decisions.md).
 */
const deploymentTargetSchema = z
  .strictObject({
    env: dnsLabel('an environment name'),
    /** The manifest's kind; filled into the manifest when it has none, must agree when it has one. */
    kind: z.optional(z.string().check(z.minLength(1))),
    requiresApproval: z.optional(z.boolean()),
    approvers: z.optional(z.array(email)),
    minApprovals: z.optional(z.int().check(z.minimum(1))),
    timeout: z.optional(duration),
    manifest: z.record(z.string(), z.unknown(), { error: 'expected a map (the manifest template)' }),
  })
  .check(
    z.superRefine((target, context) => {
      if (target.approvers && target.minApprovals && target.minApprovals > target.approvers.length) {
        context.addIssue({ code: 'custom', path: ['minApprovals'], message: `expected at most ${target.approvers.length} (the number of approvers)` });
      }
    }),
  );

export const serviceSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `expected "${API_VERSION}"` }),
  kind: z.literal('Service', { error: 'expected "Service"' }),
  metadata: z.looseObject({ name: dnsLabel('a service name'), org: dnsLabel('an organization name') }),
  spec: z._default(
    z.strictObject({
      kustomizeDir: z._default(relativeDir, '_kustomize'),
      /** Overlay directory names (inline mode: target environments); empty = every non-local one. */
      deploymentEnvironments: z._default(z.array(z.string().check(z.minLength(1))), []).check(
        z.superRefine((names, context) => {
          names.forEach((name, index) => {
            if (names.indexOf(name) !== index) context.addIssue({ code: 'custom', path: [index], message: `"${name}" is listed twice` });
          });
        }),
      ),
      /** Runs of one branch: a newer one supersedes, waits for (queue) or overlaps (parallel) an older one. */
      concurrency: z._default(z.enum(['supersede', 'queue', 'parallel']), 'supersede'),
      deploymentTargets: z._default(z.array(deploymentTargetSchema), []),
    }),
    { kustomizeDir: '_kustomize', deploymentEnvironments: [], concurrency: 'supersede', deploymentTargets: [] },
  ),
});

export type ServiceConfig = z.output<typeof serviceSchema>;
export type DeploymentTarget = ServiceConfig['spec']['deploymentTargets'][number];

/** Parses `stageline.yaml` text; `file` is the name used in error messages. Throws ConfigError. */
export function parseService(text: string, file: string): ServiceConfig {
  return parseConfigYaml(serviceSchema, text, file, 'see the Configuration section of the README (examples/hello-service/stageline.yaml is a complete one)');
}

/** Inline mode when the service lists deployment targets; Git (Kustomize) mode otherwise. */
export function resolutionMode(service: ServiceConfig): 'git' | 'inline' {
  return service.spec.deploymentTargets.length > 0 ? 'inline' : 'git';
}

/** A service deploys only through its own organization: `metadata.org` must name the organization config in use. */
export function requireServiceOfOrganization(service: ServiceConfig, organization: OrganizationConfig, serviceFile: string, orgFile: string): void {
  if (service.metadata.org === organization.metadata.name) return;
  throw new ConfigError(`${serviceFile}: metadata.org is ${JSON.stringify(service.metadata.org)} but the organization config is ${JSON.stringify(organization.metadata.name)}`, {
    hint: `set metadata.org to ${JSON.stringify(organization.metadata.name)}, or pass the organization config of ${JSON.stringify(service.metadata.org)} with --org-config (now ${orgFile})`,
  });
}
