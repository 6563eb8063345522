import { BackgroundHub, DEFAULT_HOLD_TIMEOUT_MS, type StoredRules } from '@/lib/background-hub';
import { installExportStreamHandler, serviceWorkerHost } from '@/lib/export-stream';
import { openFrameStore, type InspectorDatabase } from '@/lib/frame-store';
import { PORT_CAPTURE, PORT_PANEL } from '@/lib/protocol';

export default defineBackground(() => {
  // Streamed export downloads (Chrome's service worker only; Firefox's event page gets no fetch events).
  const host = serviceWorkerHost(globalThis);
  if (host) installExportStreamHandler(host, { log: (error) => console.error('[websocket-inspector]', error) });

  let database: Promise<InspectorDatabase> | undefined;
  const db = () => (database ??= openFrameStore());

  const hub = new BackgroundHub({
    db,
    loadPaused: async () => {
      const stored = await browser.storage.session.get('pausedTabs');
      return Array.isArray(stored.pausedTabs) ? (stored.pausedTabs as number[]) : [];
    },
    savePaused: (tabIds) => browser.storage.session.set({ pausedTabs: tabIds }),
    loadRules: async () => {
      const stored = await browser.storage.local.get('interceptRules');
      return (stored.interceptRules as StoredRules | undefined) ?? { rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS };
    },
    saveRules: (rules) => browser.storage.local.set({ interceptRules: rules }),
    log: (error) => console.error('[websocket-inspector]', error),
  });

  browser.runtime.onConnect.addListener((port) => {
    // Only our own contexts can connect (no externally_connectable); the tab comes from the browser, never
    // from a message, so a page can only ever write into its own tab's session.
    if (port.name === PORT_CAPTURE) {
      const tabId = port.sender?.tab?.id;
      if (typeof tabId !== 'number' || tabId < 0) {
        port.disconnect();
        return;
      }
      hub.addCapturePort(port, tabId);
    } else if (port.name === PORT_PANEL) {
      if (port.sender?.tab && !port.sender.url?.startsWith(browser.runtime.getURL('/'))) {
        port.disconnect(); // a content script may not pose as a panel
        return;
      }
      hub.addPanelPort(port);
    }
  });
});
