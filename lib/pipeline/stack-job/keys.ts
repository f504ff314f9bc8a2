/** `deployed/<org>/<env>/<service>.yaml`: the last manifest (as stored, references unresolved) applied to an environment. */
export const deployedKey = (org: string, env: string, service: string) => `deployed/${org}/${env}/${service}.yaml`;

/** `deployed/<org>/<env>/<service>.diff`: the unified diff the `record` provisioner made against the previous deployment. */
export const deployedDiffKey = (org: string, env: string, service: string) => `deployed/${org}/${env}/${service}.diff`;

/** `outputs/<org>/<env>/<kind>/<name>.json`: a resource's stack-job outputs (read by `valueFrom` variables). */
export const outputsKey = (org: string, env: string, kind: string, name: string) => `outputs/${org}/${env}/${kind}/${name}.json`;

/** `locks/<org>/<env>/<service>.json`: the lease a stack job holds while it applies a service to an environment. */
export const environmentLockKey = (org: string, env: string, service: string) => `locks/${org}/${env}/${service}.json`;
