import { BackgroundHub, type StoredRules } from '@/lib/worker/background-hub';
import { installExportStreamHandler, serviceWorkerHost } from '@/lib/worker/export-stream';
import { openFrameStore, type InspectorDatabase } from '@/lib/store/frame-store';
import { DEFAULT_HOLD_TIMEOUT_MS, RULES_STORAGE_KEY } from '@/lib/shared/intercept-rules';
import { PORT_CAPTURE, PORT_PANEL, message, type BackgroundToFrameMessage, type PageSessionInfo } from '@/lib/shared/protocol';

/** Tries a message to a tab's relays a few times: a frame that is loading has no relay for a moment. */
async function toFrames(tabId: number, msg: BackgroundToFrameMessage, options?: { frameId: number }, patient = true): Promise<unknown> {
  for (const delay of patient ? [0, 100, 400] : [0]) {
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      return await browser.tabs.sendMessage(tabId, msg, options);
    } catch {
      // "Receiving end does not exist": no relay yet (or none at all: not a page we run in)
    }
  }
  return undefined;
}

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
      const stored = await browser.storage.local.get(RULES_STORAGE_KEY);
      return (stored[RULES_STORAGE_KEY] as StoredRules | undefined) ?? { rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS };
    },
    // Every relay reads them from here (lib/relay/capture-relay.ts applyRules), port or no port.
    saveRules: (rules) => browser.storage.local.set({ [RULES_STORAGE_KEY]: rules }),
    wakeTab: async (tabId) => (await toFrames(tabId, message({ type: 'wake' }))) === true,
    topFrameSession: async (tabId, patient = true) => {
      const info = (await toFrames(tabId, message({ type: 'session-query' }), { frameId: 0 }, patient)) as PageSessionInfo | undefined;
      return info && typeof info === 'object' && typeof info.sessionId === 'string' ? info : undefined;
    },
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
