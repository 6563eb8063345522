/**
 * Handshakes from the browser's network layer (issue #21 §3): once the user grants `webRequest` and host access
 * from the panel (never at install), the background listens to WebSocket requests (type "websocket", no blocking)
 * and keeps, per request, what DevTools' Headers tab shows: method, URL, status, request and response headers
 * (Chrome's `extraHeaders` adds Cookie and Set-Cookie; Firefox gives them without it). Each handshake is attached to
 * the page hook's connection (lib/store/network-handshakes.ts); the hook stores its connection a moment after the
 * request, so an unmatched handshake is tried again a few times, then given up (a worker's socket, which the hook
 * never sees). It works with DevTools closed, in the panel as a tab, and in Firefox.
 */
import { message } from '../shared/protocol';
import type { Handshake, HeaderEntry } from '../shared/records';
import { attachNetworkHandshake, type NetworkHandshake } from '../store/network-handshakes';
import type { InspectorDatabase } from '../store/frame-store';
import type { PanelNotices } from './panel-ports';

/** What webRequest's events give (the fields read here). */
export interface RequestDetails {
  requestId: string;
  url: string;
  tabId: number;
  method?: string;
  timeStamp: number;
  requestHeaders?: Array<{ name: string; value?: string }>;
  responseHeaders?: Array<{ name: string; value?: string }>;
  statusCode?: number;
  statusLine?: string;
  error?: string;
}

interface WebRequestEvent {
  addListener(listener: (details: RequestDetails) => void, filter: { urls: string[]; types?: string[] }, extraInfoSpec?: string[]): void;
  removeListener(listener: (details: RequestDetails) => void): void;
}

/** The part of `browser.webRequest` used here (present only once the permission is granted). */
export interface WebRequestLike {
  onSendHeaders: WebRequestEvent;
  onHeadersReceived: WebRequestEvent;
  onCompleted: WebRequestEvent;
  onErrorOccurred: WebRequestEvent;
  /** Chrome's: present when `extraHeaders` may be asked for (Firefox has no such option and refuses it). */
  OnSendHeadersOptions?: { EXTRA_HEADERS?: string };
}

export interface NetworkHandshakeDeps {
  db(): Promise<InspectorDatabase>;
  panels: PanelNotices;
  log(error: unknown): void;
  /** Waits before another try (tests pass a fake). */
  sleep?(ms: number): Promise<void>;
}

/** When an unmatched handshake is tried again, ms after it ended (the hook posts a connect within ~100 ms). */
export const ATTACH_RETRIES_MS = [0, 150, 500, 1500, 4000];
/** Requests followed at once at most (a page opening sockets in a loop must not grow this without end). */
export const MAX_PENDING_REQUESTS = 500;

const FILTER = { urls: ['<all_urls>'], types: ['websocket'] };

function headers(list: RequestDetails['requestHeaders']): HeaderEntry[] {
  return (list ?? []).map((h) => ({ name: String(h.name), value: String(h.value ?? '') }));
}

/** "HTTP/1.1 101 Switching Protocols" → "Switching Protocols". */
export function statusTextOf(statusLine: string | undefined): string {
  return /^HTTP\/\S+\s+\d{3}\s*(.*)$/.exec(statusLine ?? '')?.[1] ?? '';
}

export class NetworkHandshakes {
  private readonly requests = new Map<string, NetworkHandshake>();
  private listening: WebRequestLike | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: NetworkHandshakeDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Whether the listeners are on. */
  get active(): boolean {
    return this.listening !== undefined;
  }

  /** Starts listening on `browser.webRequest` (once); false when it cannot (no permission yet). */
  listen(api: unknown): boolean {
    if (this.listening) return true;
    const webRequest = api as WebRequestLike | undefined;
    if (!webRequest?.onSendHeaders) return false;
    const extra = webRequest.OnSendHeadersOptions?.EXTRA_HEADERS ? ['extraHeaders'] : [];
    try {
      webRequest.onSendHeaders.addListener(this.onSendHeaders, FILTER, ['requestHeaders', ...extra]);
      webRequest.onHeadersReceived.addListener(this.onHeadersReceived, FILTER, ['responseHeaders', ...extra]);
      webRequest.onCompleted.addListener(this.onEnd, FILTER);
      webRequest.onErrorOccurred.addListener(this.onEnd, FILTER);
    } catch (error) {
      this.deps.log(error); // no host access after all: nothing is heard
      this.stop(webRequest);
      return false;
    }
    this.listening = webRequest;
    return true;
  }

  /** Stops listening (the user took the permission back). */
  stop(webRequest: WebRequestLike | undefined = this.listening): void {
    if (webRequest) {
      for (const [event, listener] of [
        [webRequest.onSendHeaders, this.onSendHeaders],
        [webRequest.onHeadersReceived, this.onHeadersReceived],
        [webRequest.onCompleted, this.onEnd],
        [webRequest.onErrorOccurred, this.onEnd],
      ] as const) {
        try {
          event?.removeListener(listener);
        } catch {
          // the API went with the permission
        }
      }
    }
    this.listening = undefined;
    this.requests.clear();
  }

  /** The request left with these headers (the last word on them: after every extension's changes). */
  readonly onSendHeaders = (details: RequestDetails): void => {
    if (details.tabId < 0) return; // not a tab's (a worker's or the browser's): no connection to attach it to
    if (this.requests.size >= MAX_PENDING_REQUESTS) this.requests.delete(this.requests.keys().next().value as string);
    const handshake: Handshake = {
      method: details.method ?? 'GET',
      url: details.url,
      status: 0,
      statusText: '',
      requestHeaders: headers(details.requestHeaders),
      responseHeaders: [],
      source: 'network',
    };
    this.requests.set(details.requestId, { requestId: details.requestId, tabId: details.tabId, url: details.url, startedAt: details.timeStamp, handshake });
  };

  readonly onHeadersReceived = (details: RequestDetails): void => {
    const request = this.requests.get(details.requestId);
    if (!request) return;
    request.handshake.status = details.statusCode ?? 0;
    request.handshake.statusText = statusTextOf(details.statusLine);
    request.handshake.responseHeaders = headers(details.responseHeaders);
  };

  /** The handshake is over (101, a refused upgrade, or no response): store it. */
  readonly onEnd = (details: RequestDetails): void => {
    const request = this.requests.get(details.requestId);
    if (!request) return;
    this.requests.delete(details.requestId);
    if (details.error) request.handshake.error = details.error;
    if (request.handshake.status === 0 && details.statusCode) request.handshake.status = details.statusCode;
    void this.attach(request).catch((error: unknown) => this.deps.log(error));
  };

  /** Attaches the handshake to its connection, trying again while the hook's connection may still be on its way. */
  async attach(request: NetworkHandshake): Promise<boolean> {
    for (const delay of ATTACH_RETRIES_MS) {
      if (delay) await this.sleep(delay);
      const where = await attachNetworkHandshake(await this.deps.db(), request);
      if (where) {
        this.deps.panels.toTab(request.tabId, message({ type: 'stored', sessionId: where.sessionId, connectionIds: [where.connectionId] }));
        return true;
      }
    }
    return false;
  }
}
