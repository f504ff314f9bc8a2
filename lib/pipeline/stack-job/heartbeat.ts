/**
 * The stack-job step's heartbeat timeout, in seconds: `HeartbeatSeconds` of the "Run stack job"
 * state in statemachine/deployment-stage.asl.json (a unit test keeps the two in agreement). A step
 * that hears nothing from its runner for this long fails with `States.HeartbeatTimeout` — counted
 * from the moment the step starts, so CodeBuild's queueing and install phase are inside the first
 * interval. The runner therefore beats as soon as it has its job, then while it waits for the
 * environment's lease and while it provisions; and `spec.stackJobs.timeout` must be longer.
 */
export const STACK_JOB_HEARTBEAT_SECONDS = 600;
