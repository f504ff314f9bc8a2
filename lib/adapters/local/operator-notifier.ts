import { createInterface } from 'node:readline/promises';
import type { ApprovalNotification, Notifier } from '../../ports/notifier.js';
import { decideAsOperator, DecisionRefused, type GateDeps } from '../../pipeline/approvals/gate.js';
import { requireRun } from '../../pipeline/workflow/records.js';
import type { CliIo } from '../../cli/io.js';

/**
 * How `deploy --local` answers a gate: `--approve` / `--reject` for scripts, a prompt on a TTY,
 * otherwise it prints the approval links and waits for `stageline approve|reject` (or the page).
 */
export type GateAnswer = { kind: 'approve' } | { kind: 'reject'; reason: string } | { kind: 'prompt' } | { kind: 'wait' };

export class OperatorNotifier implements Notifier {
  private pendingPrompt: Promise<void> = Promise.resolve();
  /** Ctrl-C was pressed at a prompt (and passed on to the process as SIGINT). */
  private interrupted = false;
  /** Aborted when the run ends: a question still open (the gate was decided elsewhere) must not keep the process alive. */
  private readonly prompts = new AbortController();

  constructor(
    private readonly deps: GateDeps,
    private readonly answer: GateAnswer,
    private readonly operator: string,
    private readonly io: CliIo,
    private readonly project: string,
  ) {}

  async approvalRequested(notification: ApprovalNotification): Promise<void> {
    const run = await requireRun(this.deps.store, notification.runId);
    const task = run.tasks.find((candidate) => candidate.env === notification.env && candidate.approvalId);
    if (!task?.approvalId) return;
    const approvalId = task.approvalId;
    const what = `${notification.service} → ${notification.env}`;
    switch (this.answer.kind) {
      case 'approve':
        this.io.err(`  gate ${notification.env}: approved by ${this.operator} (--approve)`);
        await decideAsOperator(this.deps, { approvalId, approver: this.operator, decision: 'approve', via: 'operator' });
        return;
      case 'reject':
        this.io.err(`  gate ${notification.env}: rejected by ${this.operator} (--reject)`);
        await decideAsOperator(this.deps, { approvalId, approver: this.operator, decision: 'reject', reason: this.answer.reason, via: 'operator' });
        return;
      case 'prompt':
        // The step must return while the question is open: the answer completes the gate later.
        this.pendingPrompt = this.pendingPrompt.then(() => this.prompt(approvalId, what, notification)).catch((error) => {
          if (this.prompts.signal.aborted || this.interrupted) return;
          this.io.err(`  gate ${notification.env}: ${error instanceof DecisionRefused ? error.message : String(error)}`);
        });
        return;
      case 'wait':
        this.io.err(`  gate ${notification.env}: waiting for approval until ${notification.expiresAt}`);
        for (const link of notification.links) this.io.err(`    ${link.approver}: ${link.url}`);
        this.io.err(`    or: stageline approve ${notification.runId} ${notification.env} --project ${this.project}`);
    }
  }

  private async prompt(approvalId: string, what: string, notification: ApprovalNotification): Promise<void> {
    const readline = createInterface({ input: process.stdin, output: process.stderr });
    // The prompt holds the terminal in raw mode, so Ctrl-C reaches readline, not the process: hand
    // it on as the SIGINT it is (deploy stops the run), instead of only dropping the question.
    readline.once('SIGINT', () => {
      this.interrupted = true;
      readline.close();
      // Closing readline leaves stdin flowing (and the process alive) once the run has stopped.
      process.stdin.pause();
      process.kill(process.pid, 'SIGINT');
    });
    try {
      for (const link of notification.links) this.io.err(`    ${link.approver}: ${link.url}`);
      const signal = this.prompts.signal;
      if (signal.aborted) return;
      const reply = (await readline.question(`  Approve ${what} (image ${notification.image})? [y/N] `, { signal })).trim().toLowerCase();
      if (reply === 'y' || reply === 'yes') {
        await decideAsOperator(this.deps, { approvalId, approver: this.operator, decision: 'approve', via: 'operator' });
        return;
      }
      const reason = (await readline.question('  Reason for rejecting: ', { signal })).trim() || 'rejected at the terminal';
      await decideAsOperator(this.deps, { approvalId, approver: this.operator, decision: 'reject', reason, via: 'operator' });
    } finally {
      readline.close();
    }
  }

  /** The run ended: close any question still on the terminal. */
  close(): void {
    this.prompts.abort();
  }
}
