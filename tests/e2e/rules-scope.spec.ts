/**
 * Rules per site (issue #9 §2, the panel's side): a rule made in the panel for a page applies to that page's
 * origin unless the user picks "All sites", the stored rule carries that scope, and the rules view says where
 * each rule applies (a rule from before scopes shows "All sites": tests/unit/panel/rule-scope.test.ts). Whether a page of another origin gets a rule is the
 * relay's side (tests of its own).
 */
import type { BrowserContext, Page, Worker } from '@playwright/test';
import { test, expect, openLoggingPage } from './fixtures';

async function openPanel(context: BrowserContext, extensionId: string, tabId: number): Promise<Page> {
  const panel = await context.newPage();
  await panel.goto(`chrome-extension://${extensionId}/panel.html?tabId=${tabId}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

const storedRules = (sw: Worker) =>
  sw.evaluate(async () => {
    const storage = (globalThis as unknown as { chrome: { storage: { local: { get(key: string): Promise<Record<string, { rules?: unknown[] } | undefined>> } } } }).chrome.storage.local;
    return ((await storage.get('interceptRules')).interceptRules?.rules ?? []) as Array<{ name: string; scope?: string }>;
  });

test('a rule made for a page applies to its origin by default, or to all sites when picked; the view says which', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const origin = server.origin; // http://127.0.0.1:<port>
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('button', { name: /^Rules/ }).click();
  const rules = panel.getByRole('dialog', { name: 'Intercept rules' });

  await rules.getByRole('button', { name: 'Add rule' }).click();
  const form = rules.getByRole('form', { name: 'Rule editor' });
  const where = form.getByRole('group', { name: 'Applies to' });
  await expect(where.getByRole('radio', { name: `This site (${origin})` })).toBeChecked();
  await expect(where.getByRole('radio', { name: 'All sites' })).not.toBeChecked();
  await form.getByRole('textbox', { name: 'Name' }).fill('site rule');
  await form.getByRole('button', { name: 'Save rule' }).click();
  const siteRule = rules.getByRole('listitem').filter({ hasText: 'site rule' });
  await expect(siteRule).toContainText(`Applies to ${origin}`);
  await expect.poll(() => storedRules(sw)).toEqual([expect.objectContaining({ name: 'site rule', scope: origin })]);

  await rules.getByRole('button', { name: 'Add rule' }).click();
  await form.getByRole('textbox', { name: 'Name' }).fill('everywhere');
  await where.getByRole('radio', { name: 'All sites' }).check();
  await form.getByRole('button', { name: 'Save rule' }).click();
  await expect(rules.getByRole('listitem').filter({ hasText: 'everywhere' })).toContainText('All sites');
  await expect.poll(async () => (await storedRules(sw)).map((r) => [r.name, r.scope])).toEqual([['site rule', origin], ['everywhere', '*']]);

  // Editing keeps the rule's own site.
  await rules.getByRole('button', { name: 'Edit rule site rule' }).click();
  await expect(where.getByRole('radio', { name: `This site (${origin})` })).toBeChecked();
  await form.getByRole('button', { name: 'Cancel' }).click();
});
