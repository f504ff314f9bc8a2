/**
 * Applies one resolved manifest. The built-in `record` provisioner records it (and a diff against
 * the previous one) in the store; a `command` provisioner runs the organization's preview/apply
 * command templates. The resolved manifest contains plaintext secrets: a provisioner hands it
 * only to its command (a 0600 temporary file, removed afterwards) and never logs it.
 */
export interface Provisioner {
  provision(job: ProvisionJob, log: (line: string) => void, control?: ProvisionControl): Promise<ProvisionResult>;
}

/**
 * How the runner steers a provisioning under way. A stack job lives or dies as one unit: when
 * `signal` aborts (the runner was told to stop, its step timed out or its run was cancelled, it
 * lost the environment's lease) the provisioner stops everything it started and rejects, and it
 * settles only once none of its processes is left.
 */
export interface ProvisionControl {
  signal?: AbortSignal;
  /** Told the process group of each command as it starts (undefined once it is gone): the lease records it. */
  onProcessGroup?: (pgid: number | undefined) => void;
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
