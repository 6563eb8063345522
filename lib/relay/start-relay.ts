/**
 * Starts the relay in one frame (the isolated content script's main): a CaptureRelay wired to the extension's
 * runtime port, the hook's private port (PagePort), the intercept rules in storage, and the background's
 * messages to relays with no port open (wake, session-query).
 */
import type { BackgroundToFrameMessage, PageSessionInfo } from '../shared/protocol';
import { PORT_CAPTURE, isProtocolMessage } from '../shared/protocol';
import { RULES_STORAGE_KEY } from '../shared/intercept-rules';
import { randomId } from '../shared/random-id';
import { runtimePort, type RuntimePortLike } from '../shared/transport';
import { CaptureRelay } from './capture-relay';
import { PagePort } from './page-port';

/** The extension APIs the relay uses (the `browser` global), described so that fakes can stand in for them. */
export interface RelayBrowser {
  runtime: {
    readonly id: string;
    connect(info: { name: string }): RuntimePortLike;
    onMessage: { addListener(listener: (data: unknown, sender: { id?: string }) => Promise<unknown> | undefined): void };
  };
  storage: {
    local: { get(key: string): Promise<Record<string, unknown>> };
    onChanged: { addListener(listener: (changes: Record<string, { newValue?: unknown }>, area: string) => void): void };
  };
}

export interface RelayHost {
  browser: RelayBrowser;
  window: Window;
  /** Firefox: messages from the hook's port are cloned into this realm (see PagePort.awaitHandover). */
  cloneFromPage: boolean;
}

export function startRelay({ browser, window, cloneFromPage }: RelayHost): CaptureRelay {
  const pagePort = new PagePort();
  const topLevel = window === window.top;
  const relay = new CaptureRelay({
    connect: () => runtimePort(browser.runtime.connect({ name: PORT_CAPTURE })),
    contextValid: () => {
      try {
        return typeof browser.runtime?.id === 'string';
      } catch {
        return false;
      }
    },
    postToPage: (msg, transfer) => pagePort.post(msg, transfer),
    setTimer: (callback, ms) => setTimeout(callback, ms),
    topLevel,
    pageUrl: window.location.href,
    title: () => window.document.title,
    startedAt: Date.now(),
    sessionId: topLevel ? randomId() : undefined,
  });

  // Rules come from storage, so the hook has them before the page's first socket without waking the worker.
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && RULES_STORAGE_KEY in changes) relay.applyRules(changes[RULES_STORAGE_KEY].newValue);
  });
  browser.storage.local.get(RULES_STORAGE_KEY).then(
    (stored) => relay.applyRules(stored[RULES_STORAGE_KEY]),
    () => undefined, // extension gone: the relay stops on its own
  );
  // The background reaches relays that have no port open: to wake them for a command, or to ask the top
  // frame which page load (session) it is. Only our extension can send these (no externally_connectable).
  browser.runtime.onMessage.addListener((data, sender) => {
    if (sender.id !== browser.runtime.id || !isProtocolMessage(data) || relay.isStopped) return undefined;
    const msg = data as BackgroundToFrameMessage;
    if (msg.type === 'wake') {
      relay.wake();
      return Promise.resolve(true);
    }
    if (msg.type === 'session-query') {
      const info: PageSessionInfo | undefined = relay.sessionInfo();
      return info ? Promise.resolve(info) : undefined;
    }
    return undefined;
  });

  const stopListening = pagePort.awaitHandover(window, (data) => relay.acceptPageMessage(data), cloneFromPage);
  if (relay.isStopped) stopListening();
  return relay;
}
