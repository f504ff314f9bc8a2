import * as z from 'zod';
import { API_VERSION, dnsLabel, duration, email } from './common.js';
import { parseConfigYaml } from './parse-config.js';

const relativeDir = z
  .string()
  .min(1)
  .refine((dir) => !dir.startsWith('/') && !dir.split('/').includes('..'), { error: 'expected a directory inside the project (relative, no "..")' });

/**
 * One inline deployment target. `requiresApproval: true` adds a gate (with `approvers`, or the
 * organization's approvers of that environment); `false` never removes a gate the organization
 * requires (kept, with a warning: see docs/domain-decisions.md).
 */
const deploymentTargetSchema = z
  .strictObject({
    env: dnsLabel('an environment name'),
    /** The manifest's kind; filled into the manifest when it has none, must agree when it has one. */
    kind: z.string().min(1).optional(),
    requiresApproval: z.boolean().optional(),
    approvers: z.array(email).optional(),
    minApprovals: z.int().min(1).optional(),
    timeout: duration.optional(),
    manifest: z.record(z.string(), z.unknown(), { error: 'expected a map (the manifest template)' }),
  })
  .superRefine((target, context) => {
    if (target.approvers && target.minApprovals && target.minApprovals > target.approvers.length) {
      context.addIssue({ code: 'custom', path: ['minApprovals'], message: `expected at most ${target.approvers.length} (the number of approvers)` });
    }
  });

export const serviceSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `expected "${API_VERSION}"` }),
  kind: z.literal('Service', { error: 'expected "Service"' }),
  metadata: z.looseObject({ name: dnsLabel('a service name'), org: dnsLabel('an organization name') }),
  spec: z
    .strictObject({
      kustomizeDir: relativeDir.default('_kustomize'),
      /** Overlay directory names (inline mode: target environments); empty = every non-local one. */
      deploymentEnvironments: z
        .array(z.string().min(1))
        .default([])
        .superRefine((names, context) => {
          names.forEach((name, index) => {
            if (names.indexOf(name) !== index) context.addIssue({ code: 'custom', path: [index], message: `"${name}" is listed twice` });
          });
        }),
      // `queue` is part of the design but not implemented yet: refused rather than silently run in parallel.
      concurrency: z
        .enum(['supersede', 'queue', 'parallel'])
        .default('supersede')
        .refine((policy) => policy !== 'queue', { error: 'expected supersede or parallel ("queue" is not supported yet)' }),
      deploymentTargets: z.array(deploymentTargetSchema).default([]),
    })
    .default({ kustomizeDir: '_kustomize', deploymentEnvironments: [], concurrency: 'supersede', deploymentTargets: [] }),
});

export type ServiceConfig = z.output<typeof serviceSchema>;
export type DeploymentTarget = ServiceConfig['spec']['deploymentTargets'][number];

/** Parses `stageline.yaml` text; `file` is the name used in error messages. Throws ConfigError. */
export function parseService(text: string, file: string): ServiceConfig {
  return parseConfigYaml(serviceSchema, text, file, 'see DESIGN §2 for the Service format');
}

/** Inline mode when the service lists deployment targets; Git (Kustomize) mode otherwise. */
export function resolutionMode(service: ServiceConfig): 'git' | 'inline' {
  return service.spec.deploymentTargets.length > 0 ? 'inline' : 'git';
}
