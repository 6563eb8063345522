/**
 * Starts the DevTools-open source for a panel inside DevTools: its own panel port to the background (a panel port
 * like the view's, naming the same tab, so the view's link keeps its one job), the network log's reads, and the
 * answers. The port reconnects on the next poll when the background's worker restarts.
 */
import type { BackgroundToPanelMessage, PanelToBackgroundMessage } from '../shared/protocol';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import type { Port } from '../shared/transport';
import { DevtoolsNetworkSource, type DevtoolsHarEntry } from './devtools-network';

/** The part of `chrome.devtools.network` this uses (Chrome's callback form). */
export interface DevtoolsNetworkApi {
  getHAR(callback: (har: { entries: DevtoolsHarEntry[] }) => void): void;
  onRequestFinished: { addListener(listener: (entry: DevtoolsHarEntry) => void): void };
}

export function startDevtoolsNetworkSource(tabId: number, network: DevtoolsNetworkApi, connect: () => Port<PanelToBackgroundMessage>): () => void {
  let port: Port<PanelToBackgroundMessage> | undefined;
  const source = new DevtoolsNetworkSource({
    getHAR: () => new Promise((resolve) => network.getHAR((har) => resolve(har ?? { entries: [] }))),
    onRequestFinished: (listener) => network.onRequestFinished.addListener(listener),
    send: (sockets) => {
      try {
        ensurePort().send(message({ type: 'devtools-sockets', tabId, sockets }));
      } catch {
        port = undefined;
        source.resetPending();
      }
    },
  });
  const ensurePort = (): Port<PanelToBackgroundMessage> => {
    if (port) return port;
    const opened = connect();
    port = opened;
    opened.listen(
      (data) => {
        if (!isProtocolMessage(data)) return;
        const msg = data as BackgroundToPanelMessage;
        if (msg.type === 'devtools-sockets-result' && Array.isArray(msg.results)) source.onResults(msg.results);
      },
      () => {
        if (port === opened) port = undefined;
        source.resetPending();
      },
    );
    opened.send(message({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId }));
    return opened;
  };
  source.start();
  return () => {
    source.stop();
    port?.disconnect?.();
  };
}

/**
 * Starts the source when the panel runs in Chrome's DevTools; returns its stop, or undefined elsewhere. Firefox's
 * `devtools.network` has no WebSocket messages in its HAR, so the source is Chrome's only.
 */
export function startChromeNetworkLog(tabId: number, connect: () => Port<PanelToBackgroundMessage>): (() => void) | undefined {
  const scope = globalThis as { chrome?: { devtools?: { network?: DevtoolsNetworkApi } }; browser?: { runtime?: { getBrowserInfo?: unknown } } };
  const network = scope.chrome?.devtools?.network;
  if (!network || typeof scope.browser?.runtime?.getBrowserInfo === 'function') return undefined;
  return startDevtoolsNetworkSource(tabId, network, connect);
}
