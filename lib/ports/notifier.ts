/** Tells approvers a gate is waiting: SNS email (and an optional Slack webhook) in AWS, the terminal locally. */
export interface Notifier {
  approvalRequested(notification: ApprovalNotification): Promise<void>;
}

export interface ApprovalNotification {
  service: string;
  env: string;
  runId: string;
  commitSha: string;
  image: string;
  triggeredBy: string;
  /** One personal, signed link per approver. */
  links: { approver: string; url: string }[];
  expiresAt: string;
}
