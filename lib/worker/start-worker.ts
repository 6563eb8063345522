/**
 * Starts the background (the service worker's, or Firefox's event page's, main): the worker's two halves wired
 * to the extension's storage, to the tabs' relays (tabs.sendMessage reaches relays with no port open), and to
 * the ports that connect: relays' capture ports and panels' ports, each checked for who opened it. Tabs removed
 * (tabs.onRemoved and tabs.get need no permission) end their connections; at start, gone tabs' are swept.
 */
import type { BackgroundToFrameMessage, FrameToBackgroundMessage, PageSessionInfo } from '../shared/protocol';
import { PORT_CAPTURE, PORT_PANEL, isProtocolMessage, message } from '../shared/protocol';
import { DEFAULT_HOLD_TIMEOUT_MS, RULES_STORAGE_KEY, WATCHED_TABS_STORAGE_KEY } from '../shared/intercept-rules';
import { runtimePort, type RuntimePortLike } from '../shared/transport';
import { openFrameStore, type InspectorDatabase } from '../store/frame-store';
import type { StoredRules } from './background-hub';
import type { SweepMemory } from './gone-tabs';
import { HANDSHAKE_ACCESS } from '../shared/handshake-access';
import { createWorker, type Worker } from './worker';

/** storage.session's key for what the start sweep did in this browser run (gone-tabs.ts). */
const SWEEP_STORAGE_KEY = 'goneTabs';

interface StorageAreaLike {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/** A runtime port as onConnect gives it: its name, and who opened it (as the browser says). */
export interface ConnectingPort extends RuntimePortLike {
  name: string;
  sender?: { tab?: { id?: number }; url?: string };
}

/** The extension APIs the background uses (the `browser` global), described so that fakes can stand in for them. */
export interface WorkerBrowser {
  runtime: {
    onConnect: { addListener(listener: (port: ConnectingPort) => void): void };
    /** Relays' messages without a port (watch-query), answered by the returned promise. */
    onMessage: { addListener(listener: (message: unknown, sender: { id?: string; tab?: { id?: number } }) => Promise<unknown> | undefined): void };
    readonly id: string;
    getURL(path: '/'): string;
  };
  tabs: {
    sendMessage(tabId: number, message: unknown, options?: { frameId: number }): Promise<unknown>;
    /** Rejects when no such tab exists. */
    get(tabId: number): Promise<unknown>;
    onRemoved: { addListener(listener: (tabId: number) => void): void };
  };
  storage: { local: StorageAreaLike; session: StorageAreaLike };
  /** Present once the user granted it from the panel (an optional permission); see NetworkHandshakes.listen. */
  readonly webRequest?: unknown;
  permissions?: {
    contains(request: { permissions?: string[]; origins?: string[] }): Promise<boolean>;
    onAdded: { addListener(listener: () => void): void };
    onRemoved: { addListener(listener: () => void): void };
  };
}

/** Tries a message to a tab's relays a few times: a frame that is loading has no relay for a moment. */
async function toFrames(browser: WorkerBrowser, tabId: number, msg: BackgroundToFrameMessage, options?: { frameId: number }, patient = true): Promise<unknown> {
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

export function startWorker(browser: WorkerBrowser, log: (error: unknown) => void): Worker {
  let database: Promise<InspectorDatabase> | undefined;
  const worker = createWorker({
    db: () => (database ??= openFrameStore()),
    loadPaused: async () => {
      const stored = await browser.storage.session.get('pausedTabs');
      return Array.isArray(stored.pausedTabs) ? (stored.pausedTabs as number[]) : [];
    },
    savePaused: (tabIds) => browser.storage.session.set({ pausedTabs: tabIds }),
    loadRules: async () => {
      const stored = await browser.storage.local.get(RULES_STORAGE_KEY);
      return (stored[RULES_STORAGE_KEY] as StoredRules | undefined) ?? { rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS };
    },
    // Every relay reads them from here (lib/relay/start-relay.ts, CaptureRelay.applyRules), port or no port.
    saveRules: (rules) => browser.storage.local.set({ [RULES_STORAGE_KEY]: rules }),
    wakeTab: async (tabId) => (await toFrames(browser, tabId, message({ type: 'wake' }))) === true,
    topFrameSession: async (tabId, patient = true) => {
      const info = (await toFrames(browser, tabId, message({ type: 'session-query' }), { frameId: 0 }, patient)) as PageSessionInfo | undefined;
      return info && typeof info === 'object' && typeof info.sessionId === 'string' ? info : undefined;
    },
    // Relays learn it from storage (is any tab watched?) and from the message to the tab's frames.
    watchChanged: (tabId, watched, tabs) => {
      browser.storage.local.set({ [WATCHED_TABS_STORAGE_KEY]: tabs }).catch(log);
      void toFrames(browser, tabId, message({ type: 'panel-watch', watched }), undefined, false);
    },
    tabExists: (tabId) => browser.tabs.get(tabId).then(() => true, () => false),
    loadSweepMemory: async () => (await browser.storage.session.get(SWEEP_STORAGE_KEY))[SWEEP_STORAGE_KEY] as SweepMemory | undefined,
    saveSweepMemory: (memory) => browser.storage.session.set({ [SWEEP_STORAGE_KEY]: memory }),
    log,
  });

  // Handshakes (webRequest): listened to from the worker's first task when already granted, so a handshake wakes
  // the service worker; granted or taken back from the panel at any time.
  worker.handshakes.listen(browser.webRequest);
  const permissionsChanged = () => {
    void (browser.permissions?.contains(HANDSHAKE_ACCESS) ?? Promise.resolve(false)).then((granted) => {
      if (granted) worker.handshakes.listen(browser.webRequest);
      else worker.handshakes.stop();
    }, log);
  };
  browser.permissions?.onAdded.addListener(permissionsChanged);
  browser.permissions?.onRemoved.addListener(permissionsChanged);

  // Chromium drops what a closing tab's relay sends (its goodbye too): the removal is what ends its connections.
  browser.tabs.onRemoved.addListener((tabId) => void worker.tabRemoved(tabId, Date.now()).catch(log));
  void worker.sweep().catch(log);

  browser.runtime.onMessage.addListener((data, sender) => {
    // The tab is the sender's, as the browser says: a relay learns only whether its own tab is watched.
    const tabId = sender.tab?.id;
    if (sender.id !== browser.runtime.id || !isProtocolMessage(data) || typeof tabId !== 'number') return undefined;
    const msg = data as FrameToBackgroundMessage;
    if (msg.type === 'watch-query') return Promise.resolve(worker.hub.watches(tabId));
    return undefined;
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
      worker.router.addCapturePort(runtimePort(port), tabId);
    } else if (port.name === PORT_PANEL) {
      if (port.sender?.tab && !port.sender.url?.startsWith(browser.runtime.getURL('/'))) {
        port.disconnect(); // a content script may not pose as a panel
        return;
      }
      worker.hub.addPanelPort(runtimePort(port));
    }
  });
  return worker;
}
