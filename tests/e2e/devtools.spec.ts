/**
 * One smoke test in real DevTools: Chromium opens DevTools for the tab (--auto-open-devtools-for-tabs), the
 * test selects the "WebSockets" panel through DevTools' own UI module over raw CDP (Playwright hides DevTools
 * targets), then reads the panel's frame (an out-of-process iframe, listed by /json/list) until it shows a
 * message the page exchanged.
 */
import { evaluateIn, showOurPanelInDevtools } from './devtools-cdp';
import { test, expect } from '@playwright/test';
import { launchWithExtension, startTestServer } from './fixtures';

test('the WebSockets panel in real DevTools shows a captured message, and follows the tab to a new page', async () => {
  test.setTimeout(120_000);
  const ext = await launchWithExtension(undefined, ['--auto-open-devtools-for-tabs', '--remote-debugging-port=0']);
  const server = await startTestServer();
  try {
    const page = ext.context.pages()[0] ?? (await ext.context.newPage());
    const url = server.page('/devtools-smoke.html', `<!doctype html><title>devtools smoke</title><script>
      const ws = new WebSocket('${server.wsOrigin}/echo');
      ws.onopen = () => ws.send('hello from the devtools smoke test');
    </script>`);
    await page.goto(url);

    const targets = await showOurPanelInDevtools(ext);

    // The panel's frame is an out-of-process iframe of DevTools with its own debugger URL.
    await expect
      .poll(
        async () => {
          const frame = (await targets()).find((t) => t.type === 'iframe' && t.url.startsWith(`chrome-extension://${ext.extensionId}/panel.html`));
          if (!frame?.webSocketDebuggerUrl) return 'no panel frame yet';
          return String(await evaluateIn(frame, `document.querySelector('[role="grid"]')?.innerText ?? ''`).catch((e) => String(e)));
        },
        { timeout: 30_000, intervals: [500] },
      )
      .toContain('hello from the devtools smoke test');

    // The inspected tab loads a page without WebSockets: the panel follows it (DevTools' onNavigated) to that
    // page's session, empty until its first socket.
    await page.goto(server.page('/devtools-quiet.html', '<!doctype html><title>quiet</title>'));
    const panelText = async (expression: string) => {
      const frame = (await targets()).find((t) => t.type === 'iframe' && t.url.startsWith(`chrome-extension://${ext.extensionId}/panel.html`));
      return frame?.webSocketDebuggerUrl ? String(await evaluateIn(frame, expression).catch((e) => String(e))) : 'no panel frame';
    };
    await expect
      .poll(() => panelText(`document.querySelector('select[aria-label="Session"]')?.selectedOptions[0]?.textContent ?? ''`), { timeout: 30_000, intervals: [500] })
      .toBe('This page (no WebSocket yet)');
    expect(await panelText(`document.querySelector('[role="grid"]')?.innerText ?? ''`)).not.toContain('hello from the devtools smoke test');
  } finally {
    await server.close();
    await ext.close();
  }
});
