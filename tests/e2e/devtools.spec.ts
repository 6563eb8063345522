/**
 * One smoke test in real DevTools: Chromium opens DevTools for the tab (--auto-open-devtools-for-tabs), the
 * test selects the "WebSockets" panel through DevTools' own UI module over raw CDP (Playwright hides DevTools
 * targets), and reads the panel's frame until it shows a message the page exchanged.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { test as base, expect } from '@playwright/test';
import { launchWithExtension, startTestServer } from './fixtures';

interface TargetInfo {
  id: string;
  type: string;
  url: string;
  webSocketDebuggerUrl?: string;
}

/** Evaluates `expression` in a CDP target and returns its value (throws on an exception). */
async function evaluateIn(target: TargetInfo, expression: string): Promise<unknown> {
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
      setTimeout(() => reject(new Error('CDP evaluate timed out')), 5000);
    });
    if (reply.result?.exceptionDetails) throw new Error(reply.result.exceptionDetails.text);
    return reply.result?.result?.value;
  } finally {
    socket.close();
  }
}

// FIXME: showPanel() answers without error, but the panel's iframe never appears among the DevTools page's
// auto-attached children (only devtools.html and the worker do); the panel id or the DevTools module path
// (Chromium 156) needs checking. The panel itself is covered as a tab in panel.spec.ts.
base.fixme('the WebSockets panel in real DevTools shows a captured message', async () => {
  base.setTimeout(120_000);
  const ext = await launchWithExtension(undefined, ['--auto-open-devtools-for-tabs', '--remote-debugging-port=0']);
  const server = await startTestServer();
  try {
    const page = ext.context.pages()[0] ?? (await ext.context.newPage());
    const url = server.page('/devtools.html', `<!doctype html><title>devtools smoke</title><script>
      const ws = new WebSocket('${server.wsOrigin}/echo');
      ws.onopen = () => ws.send('hello from the devtools smoke test');
    </script>`);
    await page.goto(url);

    const portFile = join(ext.userDataDir, 'DevToolsActivePort');
    await expect.poll(() => existsSync(portFile)).toBe(true);
    const port = readFileSync(portFile, 'utf8').split('\n')[0].trim();
    const targets = async (): Promise<TargetInfo[]> => (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Promise<TargetInfo[]>;

    // DevTools boots asynchronously: retry selecting the panel until its UI module answers.
    const panelId = `chrome-extension://${ext.extensionId}WebSockets`;
    await expect
      .poll(
        async () => {
          const devtools = (await targets()).find((t) => t.url.startsWith('devtools://devtools') && t.webSocketDebuggerUrl);
          if (!devtools) return 'no DevTools target yet';
          try {
            await evaluateIn(devtools, `(async () => {
              const UI = globalThis.UI ?? (await import('./ui/legacy/legacy.js'));
              await UI.InspectorView.InspectorView.instance().showPanel(${JSON.stringify(panelId)});
              return true;
            })()`);
            return 'shown';
          } catch (error) {
            return String(error);
          }
        },
        { timeout: 60_000, intervals: [500] },
      )
      .toBe('shown');

    // The panel's frame is an out-of-process iframe of DevTools: find it with the browser's Target domain and
    // evaluate in it through a flat session.
    const browserPath = readFileSync(portFile, 'utf8').split('\n')[1].trim();
    const browser = new WebSocket(`ws://127.0.0.1:${port}${browserPath}`);
    await new Promise((resolve, reject) => {
      browser.once('open', resolve);
      browser.once('error', reject);
    });
    let nextId = 1;
    const call = (method: string, params: object = {}, sessionId?: string) =>
      new Promise<any>((resolve, reject) => {
        const id = nextId++;
        const onMessage = (data: WebSocket.RawData) => {
          const msg = JSON.parse(String(data));
          if (msg.id !== id) return;
          browser.off('message', onMessage);
          if (msg.error) reject(new Error(msg.error.message));
          else resolve(msg.result);
        };
        browser.on('message', onMessage);
        browser.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      });
    try {
      await expect
        .poll(
          async () => {
            // The panel is an iframe of the DevTools page: evaluate in its execution context, found by origin.
            const { targetInfos } = await call('Target.getTargets');
            const devtools = (targetInfos as Array<{ targetId: string; url: string }>).find((t) => t.url.startsWith('devtools://devtools'));
            if (!devtools) return 'no DevTools target';
            const { sessionId } = await call('Target.attachToTarget', { targetId: devtools.targetId, flatten: true });
            // The panel's iframe is out of process: auto-attach to the DevTools page's children to reach it.
            const attached: Array<{ sessionId: string; targetInfo: { url: string } }> = [];
            const onEvent = (data: WebSocket.RawData) => {
              const msg = JSON.parse(String(data));
              if (msg.method === 'Target.attachedToTarget') attached.push(msg.params);
            };
            browser.on('message', onEvent);
            await call('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, sessionId);
            await new Promise((r) => setTimeout(r, 300));
            browser.off('message', onEvent);
            const panelFrame = attached.find((a) => a.targetInfo.url.startsWith(`chrome-extension://${ext.extensionId}/panel.html`));
            if (!panelFrame) {
              await call('Target.detachFromTarget', { sessionId }).catch(() => undefined);
              return `no panel frame yet (${attached.map((a) => a.targetInfo.url).join(', ')})`;
            }
            const { result } = await call('Runtime.evaluate', { expression: `document.querySelector('[role="grid"]')?.innerText ?? ''`, returnByValue: true }, panelFrame.sessionId);
            await call('Target.detachFromTarget', { sessionId }).catch(() => undefined);
            return String(result.value);
          },
          { timeout: 30_000, intervals: [500] },
        )
        .toContain('hello from the devtools smoke test');
    } finally {
      browser.close();
    }
  } finally {
    await server.close();
    await ext.close();
  }
});
