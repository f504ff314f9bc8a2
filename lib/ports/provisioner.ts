/**
 * Applies one resolved manifest. The built-in `record` provisioner records it (and a diff against
 * the previous one) in the store; a `command` provisioner runs the organization's preview/apply
 * command templates. The resolved manifest contains plaintext secrets: a provisioner hands it
 * only to its command (a 0600 temporary file, removed afterwards) and never logs it.
 */
export interface Provisioner {
  provision(job: ProvisionJob, log: (line: string) => void): Promise<ProvisionResult>;
}

export interface ProvisionJob {
  org: string;
  service: string;
  env: string;
  kind: string;
  name: string;
  /** The manifest as stored (references unresolved): safe to record and diff. */
  storedManifest: string;
  /** The manifest with references resolved (contains secrets). */
  resolvedManifest: string;
}

export interface ProvisionResult {
  /** Stack-job outputs, written to outputs/<org>/<env>/<kind>/<name>.json (for variable references). */
  outputs: Record<string, string>;
  /** One line for the run record, e.g. "2 fields changed". */
  summary: string;
}
