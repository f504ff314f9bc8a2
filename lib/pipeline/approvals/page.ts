import { createHash } from 'node:crypto';
import type { ManifestReferences } from '../references.js';
import type { ManifestDiff } from './manifest-diff.js';

/**
 * The approval pages: plain HTML, one inline stylesheet (allowed by its hash in the CSP), no
 * scripts, no external assets, readable on a phone. Every value from a record or a request goes
 * through {@link escapeHtml}. Rendering is pure: the HTTP handler gathers the data.
 */

export interface ConfirmationPageModel {
  approvalId: string;
  service: string;
  org: string;
  env: string;
  runId: string;
  commitSha: string;
  image: string;
  triggeredBy: string;
  expiresAt: string;
  minApprovals: number;
  /** The person opening the page (from the verified link). */
  approver: string;
  /** The run's environments in order, up to and including this one. */
  environments: { env: string; status: string; current: boolean }[];
  /** Approvals already given on this gate (names only). */
  approvedBy: string[];
  diff: ManifestDiff;
  references: ManifestReferences;
  /** The POST: where to, and the hidden fields (link parameters + form token). */
  form: { action: string; approver: string; exp: string; sig: string; formToken: string };
  /** The approver triggered this build: Approve is not offered (separation of duties). */
  selfApproval: boolean;
  /** Shown above the form, e.g. "a rejection needs a reason". */
  error?: string;
  reason?: string;
}

export interface ResultPageModel {
  title: string;
  /** One or two sentences: what happened, what (not) to do next. */
  message: string;
  tone: 'success' | 'info' | 'error';
  details?: [label: string, value: string][];
  /** A link back to the confirmation page (e.g. after a stale form). */
  retryUrl?: string;
}

export const PAGE_STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--add:#dafbe1;--del:#ffebe9;--ok:#1a7f37;--bad:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#8d96a0;--line:#30363d;--add:#12361f;--del:#4b1619}}
*{box-sizing:border-box}
body{margin:0;padding:16px;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:920px;margin:0 auto}
h1{font-size:1.4em;margin:0 0 12px}
h2{font-size:1.1em;margin:24px 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.diff{border:1px solid var(--line);border-radius:6px;overflow-x:auto;margin:0;padding:4px 0}
.diff span{display:block;white-space:pre;padding:0 8px}
.diff .add{background:var(--add)}
.diff .remove{background:var(--del)}
.diff .hunk{color:var(--muted)}
.diff b{display:inline-block;width:1.5em;font-weight:700}
ul{padding-left:20px;margin:4px 0}
.muted{color:var(--muted)}
.status{font-weight:600}
.banner{border-left:4px solid var(--muted);padding:8px 12px;margin:12px 0;background:rgba(127,127,127,.1)}
.banner.error{border-color:var(--bad)}
.banner.success{border-color:var(--ok)}
label{display:block;margin:12px 0 4px;font-weight:600}
textarea{width:100%;min-height:5em;font:inherit;padding:8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.actions{display:flex;gap:12px;flex-wrap:wrap;margin-top:12px}
button{font:inherit;font-weight:600;padding:12px 20px;border-radius:6px;border:1px solid var(--line);cursor:pointer;min-width:9em}
button.approve{background:var(--ok);color:#fff;border-color:var(--ok)}
button.reject{background:var(--bad);color:#fff;border-color:var(--bad)}
`;

/** The CSP source for {@link PAGE_STYLE}: the only style the pages may use. */
export const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE, 'utf8').digest('base64')}'`;

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · Stageline</title>
<style>${PAGE_STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

/** GET /a/<id>: what is about to be deployed where, and the decision form. It decides nothing. */
export function renderConfirmationPage(model: ConfirmationPageModel): string {
  const title = `Approve ${model.service} to ${model.env}?`;
  const summary = definitionList([
    ['Service', model.service],
    ['Environment', model.env],
    ['Commit', model.commitSha],
    ['Image', model.image],
    ['Triggered by', model.triggeredBy],
    ['Run', model.runId],
    ['Approvals', `${model.approvedBy.length} of ${model.minApprovals} needed${model.approvedBy.length ? ` (${model.approvedBy.join(', ')})` : ''}`],
    ['Expires', model.expiresAt],
    ['You are', model.approver],
  ]);
  const environments = model.environments.length
    ? `<ol>${model.environments
        .map((item) => `<li>${escapeHtml(item.env)}: <span class="status">${escapeHtml(item.current ? 'waiting for this approval' : item.status.toLowerCase())}</span></li>`)
        .join('')}</ol>`
    : '<p class="muted">This run has no other environments.</p>';
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    model.error ? `<div class="banner error" role="alert">${escapeHtml(model.error)}</div>` : '',
    summary,
    '<h2>This run so far</h2>',
    environments,
    `<h2>Changes to ${escapeHtml(model.env)}</h2>`,
    renderDiff(model.diff),
    '<h2>Secrets and variables it uses</h2>',
    renderReferences(model.references),
    '<h2>Your decision</h2>',
    renderForm(model),
  ].join('\n');
  return layout(title, body);
}

export function renderDiff(diff: ManifestDiff): string {
  if (diff.kind === 'unchanged') return '<p>The manifest is identical to the one last deployed here.</p>';
  if (diff.kind === 'unreadable') return '<p class="banner error">The manifest could not be read to show its changes. Do not approve without checking it.</p>';
  const intro =
    diff.kind === 'first'
      ? `<p>Nothing was deployed here by Stageline yet: the whole manifest is new (${diff.added} lines).</p>`
      : `<p>Compared with the manifest last deployed here: <b>${diff.added}</b> line(s) added (<b>+</b>), <b>${diff.removed}</b> removed (<b>−</b>).</p>`;
  const lines = diff.lines
    .map((line) => {
      const marker = line.type === 'add' ? '+' : line.type === 'remove' ? '−' : '';
      if (line.type === 'hunk') return `<span class="hunk">${escapeHtml(line.text)}</span>`;
      return `<span class="${line.type}"><b aria-label="${line.type === 'add' ? 'added' : line.type === 'remove' ? 'removed' : 'unchanged'}">${marker}</b>${escapeHtml(line.text)}</span>`;
    })
    .join('');
  const truncated = diff.truncated ? '<p class="muted">The diff is too long to show in full; it was cut.</p>' : '';
  return `${intro}<pre class="diff">${lines}</pre>${truncated}`;
}

function renderReferences(references: ManifestReferences): string {
  const list = (items: string[]) => (items.length ? `<ul>${items.map((item) => `<li><code>${escapeHtml(item)}</code></li>`).join('')}</ul>` : '<p class="muted">none</p>');
  return [
    '<p class="muted">Names only: values are resolved by the deployment runner, never shown here.</p>',
    '<h3>Secrets</h3>',
    list(references.secrets),
    '<h3>Variables</h3>',
    list(references.variables),
  ].join('\n');
}

function renderForm(model: ConfirmationPageModel): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const approve = model.selfApproval
    ? `<p class="banner">You triggered this build, so you may not approve it (separation of duties). You may still reject it.</p>`
    : '';
  return `<form method="post" action="${escapeHtml(model.form.action)}" autocomplete="off">
${hidden('approver', model.form.approver)}${hidden('exp', model.form.exp)}${hidden('sig', model.form.sig)}${hidden('formToken', model.form.formToken)}
${approve}
<label for="reason">Reason <span class="muted">(required to reject)</span></label>
<textarea id="reason" name="reason" maxlength="1000">${escapeHtml(model.reason ?? '')}</textarea>
<div class="actions">
${model.selfApproval ? '' : '<button class="approve" type="submit" name="decision" value="approve">Approve</button>'}
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>`;
}

/** Any outcome page: decided, closed, expired, superseded, refused. */
export function renderResultPage(model: ResultPageModel): string {
  const details = model.details?.length ? definitionList(model.details) : '';
  const retry = model.retryUrl ? `<p><a href="${escapeHtml(model.retryUrl)}">Open the approval page again</a></p>` : '';
  return layout(model.title, `<h1>${escapeHtml(model.title)}</h1>\n<div class="banner ${model.tone}" role="status">${escapeHtml(model.message)}</div>\n${details}\n${retry}`);
}

function definitionList(rows: [string, string][]): string {
  return `<dl>${rows.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
}
