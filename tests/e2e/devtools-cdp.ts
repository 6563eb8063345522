/** Raw CDP for the DevTools specs: Playwright hides DevTools targets, so they are driven over /json/list. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { expect, type Launched } from './fixtures';

export interface TargetInfo {
  type: string;
  url: string;
  webSocketDebuggerUrl?: string;
}

/** Evaluates `expression` in a CDP target and returns its value (throws on an exception). */
export async function evaluateIn(target: TargetInfo, expression: string, timeoutMs = 5000): Promise<unknown> {
  const socket = new WebSocket(target.webSocketDebuggerUrl!);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  try {
    socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }));
    const reply = await new Promise<{ result?: { result?: { value?: unknown }; exceptionDetails?: { text: string } } }>((resolve, reject) => {
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.id === 1) resolve(msg);
      });
      setTimeout(() => reject(new Error('CDP evaluate timed out')), timeoutMs);
    });
    if (reply.result?.exceptionDetails) throw new Error(reply.result.exceptionDetails.text);
    return reply.result?.result?.value;
  } finally {
    socket.close();
  }
}

/**
 * Waits for DevTools (opened by --auto-open-devtools-for-tabs) to register our panel, shows it through DevTools'
 * own UI module (showPanel on an unknown id returns quietly, so first wait for the panel's tab), and waits for the
 * panel's page (an out-of-process iframe with its own debugger URL). Returns a reader of the CDP target list.
 */
export async function showOurPanelInDevtools(ext: Launched): Promise<() => Promise<TargetInfo[]>> {
  const portFile = join(ext.userDataDir, 'DevToolsActivePort');
  await expect.poll(() => existsSync(portFile)).toBe(true);
  const port = readFileSync(portFile, 'utf8').split('\n')[0].trim();
  const targets = async (): Promise<TargetInfo[]> => (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Promise<TargetInfo[]>;
  const panelId = `chrome-extension://${ext.extensionId}WebSockets`;
  await expect
    .poll(
      async () => {
        const devtools = (await targets()).find((t) => t.url.startsWith('devtools://devtools') && t.type === 'page' && t.webSocketDebuggerUrl);
        if (!devtools) return 'no DevTools target yet';
        try {
          return await evaluateIn(devtools, `(async () => {
            const UI = await import('./ui/legacy/legacy.js');
            const view = UI.InspectorView.InspectorView.instance();
            if (!view.tabbedPane.tabIds().includes(${JSON.stringify(panelId)})) return 'panel not registered yet';
            await view.showPanel(${JSON.stringify(panelId)});
            return 'shown';
          })()`);
        } catch (error) {
          return String(error);
        }
      },
      { timeout: 60_000, intervals: [500] },
    )
    .toBe('shown');
  await expect
    .poll(async () => Boolean((await targets()).find((t) => t.type === 'iframe' && t.url.startsWith(`chrome-extension://${ext.extensionId}/panel.html`))?.webSocketDebuggerUrl), {
      timeout: 30_000,
    })
    .toBe(true);
  return targets;
}
