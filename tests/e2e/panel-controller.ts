/**
 * Drives the panel protocol for a tab from an extension page (devtools.html: nothing of ours runs there but the
 * panel's registration), as the panel would: page commands, notices, rules. For the act and security specs.
 */
import type { Page } from '@playwright/test';

// The controller runs in an extension page, where the Chrome extension API is the global `chrome`.
declare const chrome: { runtime: { connect(info: { name: string }): unknown } };

export interface Controller {
  cmd(command: unknown): Promise<{ ok: boolean; error?: string }>;
  notices(): Promise<Array<Record<string, any>>>;
  setRules(rules: unknown[], holdTimeoutMs?: number): Promise<void>;
}

/** Opens an extension page and drives the panel protocol from it for `tabId`. */
export async function controller(page: Page, extensionId: string, tabId: number): Promise<Controller> {
  const ctl = await page.context().newPage();
  // devtools.html: an extension page with nothing running in a tab (it only registers the panel inside DevTools).
  await ctl.goto(`chrome-extension://${extensionId}/devtools.html`);
  await ctl.evaluate((id) => {
    const w = window as any;
    w.results = new Map();
    w.noticeLog = [];
    w.ctlPort = chrome.runtime.connect({ name: 'wsi-panel' });
    w.ctlPort.onMessage.addListener((m: any) => {
      if (m.type === 'command-result') w.results.set(m.requestId, m);
      if (m.type === 'page-notice') w.noticeLog.push(m.notice);
      if (m.type === 'rules') w.rulesAck = true;
    });
    w.ctlPort.postMessage({ ns: 'websocket-inspector', type: 'panel-hello', protocolVersion: 1, tabId: id });
  }, tabId);
  await page.bringToFront();
  return {
    cmd: (command) =>
      ctl.evaluate(async ({ command, tabId }) => {
        const w = window as any;
        const requestId = crypto.randomUUID();
        w.ctlPort.postMessage({ ns: 'websocket-inspector', type: 'page-command', tabId, requestId, command });
        for (let i = 0; i < 200; i++) {
          if (w.results.has(requestId)) return w.results.get(requestId);
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('no command result');
      }, { command, tabId }),
    notices: () => ctl.evaluate(() => (window as any).noticeLog),
    setRules: async (rules, holdTimeoutMs = 30_000) => {
      await ctl.evaluate(async ({ rules, holdTimeoutMs }) => {
        const w = window as any;
        w.rulesAck = false;
        w.ctlPort.postMessage({ ns: 'websocket-inspector', type: 'set-rules', rules, holdTimeoutMs });
        while (!w.rulesAck) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200)); // the rules travel on to the page
      }, { rules, holdTimeoutMs });
    },
  };
}
