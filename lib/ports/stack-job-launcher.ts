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
  /**
   * Stops a job this launcher started (the `jobId` launch returned) and everything it runs: a
   * CodeBuild build is stopped (StopBuild), a local runner's process group is killed. Called when
   * the job's step timed out, its run was cancelled, or its execution ended without it. A job that
   * already ended is no error. Optional: a launcher without it cannot stop its jobs.
   */
  stop?(jobId: string, reason: string): Promise<void>;
}

/** A process on a machine: who owns a run (the `deploy --local` running its workflow) or a lease (a stack-job runner). */
export interface ProcessOwner {
  host: string;
  pid: number;
}

/**
 * Whether a process (or a process group) still exists. Only this machine's processes can be
 * looked at: for another host's, the answer is `undefined` and staleness is decided by heartbeat
 * age alone.
 */
export interface ProcessLiveness {
  /** This machine's name, as recorded in owners. */
  readonly host: string;
  /** This process: what a run or lease records as its owner. */
  self(): ProcessOwner;
  isAlive(owner: ProcessOwner): boolean | undefined;
  /** Whether any process of the group `pgid` on `host` is still alive. */
  isGroupAlive(host: string, pgid: number): boolean | undefined;
}
