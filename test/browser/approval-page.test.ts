import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANIZATION, TestProject } from '../e2e/harness.js';

/**
 * The approval gate as an approver meets it: the link printed by `deploy --local` opened in
 * Debian's Chromium (headless), the diff read, a button clicked, the run going on (or stopping).
 */
const CHROMIUM = process.env.STAGELINE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

let browser: BrowserContext;
let profile: string;
beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'stageline-chromium-'));
  // A fresh profile, and no network on these machines: every background fetch is switched off.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
});

async function linkFor(service: TestProject, approver: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = service.output.find((candidate) => candidate.trim().startsWith(`${approver}: http://127.0.0.1:`));
    if (line) return line.trim().slice(approver.length + 2);
    if (Date.now() > deadline) throw new Error(`no approval link for ${approver} in:\n${service.output.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Skipped only on a developer machine without Chromium; CI installs it (.ci/run) and must run this.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the approval page in a browser', () => {
  it('shows the changed field, and Approve lets the run finish', async () => {
    const service = new TestProject({ '.stageline/organization.yaml': ORGANIZATION() });
    try {
      const first = await service.deploy({ answer: { kind: 'approve' }, build: { commitSha: '1111111a' } });
      expect(first.run.status).toBe('SUCCEEDED');
      service.write('_kustomize/overlays/production/production.yaml', service.readOverlayPatch('production').replace('minReplicas: 3', 'minReplicas: 5'));
      const second = service.deploy({ answer: { kind: 'wait' }, build: { commitSha: '2222222b' } });

      const page = await browser.newPage();
      await page.goto(await linkFor(service, 'ops@acme.io'));
      await expect.poll(() => page.locator('.diff .add').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('minReplicas: 5')]));
      expect(await page.locator('.diff .remove').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('minReplicas: 3')]));
      expect(await page.content()).toContain('database/password');
      expect(await page.content()).not.toContain('example-production-password');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'approval-page.png'), fullPage: true });

      await page.click('button[value=approve]');
      await expect.poll(() => page.textContent('body')).toMatch(/approved/i);
      const { run } = await second;
      expect(run.status).toBe('SUCCEEDED');
      expect(run.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      expect(run.tasks[2]!.detail).toContain('lines changed');
      expect((await service.store.get('deployed/acme/app-production/hello-service.yaml'))!.body).toContain('minReplicas: 5');
    } finally {
      service.cleanup();
    }
  });

  it("a form on another origin, carrying the page's valid fields and form token, decides nothing (cross-site request forgery)", async () => {
    const service = new TestProject({ '.stageline/organization.yaml': ORGANIZATION() });
    // The attacker's page, on another origin (another port of this host), with the approver's fields copied in.
    const attacker = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(forgedPage);
    });
    let forgedPage = '';
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const deployment = service.deploy({ answer: { kind: 'wait' } });
      const link = await linkFor(service, 'ops@acme.io');
      const html = await (await fetch(link)).text();
      const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), link);
      const hidden = [...html.matchAll(/<input type="hidden" name="[^"]+" value="[^"]*">/g)].map((match) => match[0]).join('');
      forgedPage = `<!doctype html><form method="post" action="${action}">${hidden}<button name="decision" value="approve">Win a prize</button></form>`;

      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      await page.click('button');
      await expect.poll(() => page.textContent('body')).toContain('A decision can only be sent from the approval page itself');
      expect(service.output.join('\n')).not.toMatch(/approved by ops@acme\.io/i);

      // The approver, on the real page, still decides.
      const real = await browser.newPage();
      await real.goto(link);
      await real.click('button[value=approve]');
      await expect.poll(() => real.textContent('body')).toMatch(/approved/i);
      expect((await deployment).run.status).toBe('SUCCEEDED');
    } finally {
      attacker.close();
      service.cleanup();
    }
  });

  it('Reject with a reason stops the run and cancels later environments', async () => {
    // Staging gated too, so that rejecting it leaves production to cancel.
    const org = ORGANIZATION().replace('    - name: app-staging\n', '    - name: app-staging\n      approval: { required: true, approvers: [ops@acme.io], timeout: 1h }\n');
    const service = new TestProject({ '.stageline/organization.yaml': org });
    try {
      const deployment = service.deploy({ answer: { kind: 'wait' } });
      const page = await browser.newPage();
      await page.goto(await linkFor(service, 'ops@acme.io'));
      await page.fill('#reason', 'staging database is being migrated');
      await page.click('button[value=reject]');
      await expect.poll(() => page.textContent('body')).toMatch(/rejected/i);
      const { run } = await deployment;
      expect(run.status).toBe('FAILED');
      expect(run.tasks.map((task) => `${task.env}:${task.status}`)).toEqual(['app-dev:SUCCEEDED', 'app-staging:REJECTED', 'app-production:CANCELLED']);
      expect(run.tasks[1]!.detail).toContain('staging database is being migrated');
    } finally {
      service.cleanup();
    }
  });
});
