/**
 * What one stack job needs: keys and digests only (it travels through the state machine, whose
 * history is readable in the console). The runner fetches the manifest, checks its sha256,
 * resolves references just in time, provisions, and reports through TaskCallbacks.
 */
export interface StackJobRequest {
  runId: string;
  org: string;
  service: string;
  /** 0-based position of the environment in the run. */
  taskIndex: number;
  overlay: string;
  env: string;
  kind: string;
  name: string;
  /** runs/<runId>/manifests/<digest>.yaml */
  manifestKey: string;
  /** sha256 hex the manifest bytes must have. */
  digest: string;
  taskToken: string;
  /** The role the runner assumes for this environment (AWS only). */
  awsRoleArn?: string;
}

/** Starts the runner: a CodeBuild build in AWS, a child process locally. */
export interface StackJobLauncher {
  launch(request: StackJobRequest): Promise<{ jobId: string }>;
}
