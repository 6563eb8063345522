/**
 * Starts the relay in one frame (the isolated content script's main): a CaptureRelay wired to the extension's
 * runtime port, the hook's private port (PagePort), the intercept rules in storage, whether a panel watches the
 * tab, the background's messages to relays with no port open (wake, session-query, panel-watch), and pagehide
 * (the hook's last hand-over and the goodbye).
 */
import type { BackgroundToFrameMessage, FrameToBackgroundMessage, PageSessionInfo } from '../shared/protocol';
import { NAMESPACE, PORT_CAPTURE, isProtocolMessage } from '../shared/protocol';
import { RULES_STORAGE_KEY, WATCHED_TABS_STORAGE_KEY } from '../shared/intercept-rules';
import { randomId } from '../shared/random-id';
import { runtimePort, type RuntimePortLike } from '../shared/transport';
import { CaptureRelay } from './capture-relay';
import { PagePort } from './page-port';

/** The extension APIs the relay uses (the `browser` global), described so that fakes can stand in for them. */
export interface RelayBrowser {
  runtime: {
    readonly id: string;
    connect(info: { name: string }): RuntimePortLike;
    sendMessage(message: FrameToBackgroundMessage): Promise<unknown>;
    onMessage: { addListener(listener: (data: unknown, sender: { id?: string }) => Promise<unknown> | undefined): void };
  };
  storage: {
    local: { get(keys: string[]): Promise<Record<string, unknown>> };
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
  const { location } = window;
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
    pageUrl: location.href,
    origin: location.origin,
    frameUrl: () => location.href,
    title: () => window.document.title,
    startedAt: Date.now(),
    sessionId: topLevel ? randomId() : undefined,
  });

  // Breakpoints hold only while a panel watches the tab (issue #9 §6). The relay cannot know its tab: storage
  // says whether any panel watches one (none: nothing is held); if some do and breakpoints apply here, it assumes
  // watched (a reloaded page under a panel breaks on its first frame) and asks the background, which knows the
  // sender's tab. The background says so when a tab's first panel opens or its last one closes (panel-watch).
  let watchConfirmed = false;
  let someWatched = false;
  const confirmWatch = () => {
    if (watchConfirmed || !someWatched || !relay.breakpointsApply) return;
    watchConfirmed = true;
    relay.setWatched(true);
    browser.runtime.sendMessage({ ns: NAMESPACE, type: 'watch-query' } satisfies FrameToBackgroundMessage).then(
      (answer) => relay.setWatched(answer === true),
      () => relay.setWatched(false),
    );
  };
  const watchedTabs = (value: unknown) => {
    someWatched = Array.isArray(value) && value.length > 0;
    if (!someWatched) {
      watchConfirmed = true; // no panel anywhere: certain
      relay.setWatched(false);
    }
  };

  // Rules come from storage, so the hook has them before the page's first socket without waking the worker.
  browser.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local') return;
    if (WATCHED_TABS_STORAGE_KEY in changes) watchedTabs(changes[WATCHED_TABS_STORAGE_KEY].newValue);
    if (RULES_STORAGE_KEY in changes) relay.applyRules(changes[RULES_STORAGE_KEY].newValue);
    confirmWatch();
  });
  browser.storage.local.get([RULES_STORAGE_KEY, WATCHED_TABS_STORAGE_KEY]).then(
    (stored) => {
      watchedTabs(stored[WATCHED_TABS_STORAGE_KEY]);
      if (someWatched) relay.setWatched(true); // until the background answers (confirmWatch)
      relay.applyRules(stored[RULES_STORAGE_KEY]);
      confirmWatch();
    },
    () => undefined, // extension gone: the relay stops on its own
  );
  // The background reaches relays that have no port open: to wake them for a command, to ask the top frame which
  // page load (session) it is, or to say whether a panel watches the tab. Only our extension can send these (no
  // externally_connectable).
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
    if (msg.type === 'panel-watch') {
      watchConfirmed = true;
      relay.setWatched(msg.watched === true);
    }
    return undefined;
  });

  // The hand-over: measured in Chromium and Firefox ESR, the hook (listed first in the manifest) always runs
  // before the relay, in every frame, so its port is offered again, and taken, while the relay says it is ready.
  // No page script can run before the relay's own start ends, so the relay stops listening right here: a port
  // offered later is not the hook's.
  const handover = pagePort.awaitHandover(
    window.document,
    (data) => relay.acceptPageMessage(data),
    cloneFromPage,
    (data) => relay.acceptLastWords(data),
  );
  if (!handover.end()) relay.handoverFailed();
  // The last words: on pagehide the hook hands what it holds over synchronously (its listener, added first, runs
  // first: PagePort gives it to relay.acceptLastWords); the relay then sends all it holds and its goodbye at once,
  // while the document is still there. A page's own pagehide event (untrusted) ends nothing.
  window.addEventListener('pagehide', (event) => event.isTrusted && relay.pageHidden(), true);
  window.addEventListener('pageshow', (event) => event.isTrusted && relay.pageShown(), true);
  return relay;
}
