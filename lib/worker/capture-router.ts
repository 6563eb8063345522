/**
 * The background side of capture: one handler per relay port. It names the session (the top frame's page load,
 * asked of the top frame when a subframe connects first), joins frame parts, writes each batch to IndexedDB in
 * one transaction, and only then acknowledges it, so a batch is either stored or still held by the relay.
 * Writes are serialised per port to keep order.
 */
import type { BackgroundToRelayMessage, PageSessionInfo, RelayToBackgroundMessage, WireEvent, WireFramePartEvent, WireNotice } from '../shared/protocol';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import { ensureSession, latestSessionForTab, newSession, writeEvents, type InspectorDatabase, type RecalledConnection } from '../store/frame-store';
import { joinFrameParts } from '../shared/wire';
import { unpackBatch, withLargeTextBytes } from '../shared/packed-batch';
import { randomId } from '../shared/random-id';

export interface CapturePort {
  postMessage(message: BackgroundToRelayMessage): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
  disconnect(): void;
}

export interface CaptureRouterDeps {
  db(): Promise<InspectorDatabase>;
  isPaused(tabId: number): boolean;
  onSessionStarted(tabId: number, sessionId: string): void;
  onStored(tabId: number, sessionId: string, connectionIds: string[]): void;
  onCommandResult(requestId: string, ok: boolean, error?: string): void;
  /** A notice from the page hook (held frame, replay progress) for the tab's panels. */
  onNotice(tabId: number, notice: WireNotice): void;
  /** The relay is welcomed: commands waiting for a relay of its tab can go to it now. */
  onWelcome(connection: CaptureConnection): void;
  /** The tab's top frame's page load (its relay may not have connected: relays connect lazily). */
  topFrameSession(tabId: number): Promise<PageSessionInfo | undefined>;
  onError(error: unknown): void;
}

/** A session id as relays make them (randomId); anything else is not used as a key. */
function validSessionId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 64;
}

/** A relay's page-load time if it is believable (not in the future, not before the extension could run). */
function startTime(value: unknown): number {
  const now = Date.now();
  return typeof value === 'number' && Number.isFinite(value) && value <= now && value > now - 366 * 24 * 3600 * 1000 ? value : now;
}

export interface CaptureConnection {
  readonly tabId: number;
  sessionId(): string | undefined;
  post(message: BackgroundToRelayMessage): boolean;
}

export function attachCapturePort(port: CapturePort, tabId: number, deps: CaptureRouterDeps): CaptureConnection {
  let sessionId: string | undefined;
  let pageUrl = '';
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  /** Set when storing failed: nothing more is handled on this port (see dropAfterFailure). */
  let failed = false;
  /** Parts of a frame still arriving, keyed connectionId#seq. */
  const partial = new Map<string, WireFramePartEvent[]>();
  /** This port's connections not closed yet, as writeEvents' `recall` wants them (a cleared session lists them again). */
  const live = new Map<string, RecalledConnection>();
  const recall = (connectionId: string) => live.get(connectionId);

  /**
   * A batch that could not be stored must not be acknowledged, and neither may a later one (acks are
   * cumulative). Dropping the port makes the relay reconnect, with backoff, and resend from that batch on.
   */
  const dropAfterFailure = () => {
    failed = true;
    closed = true;
    try {
      port.disconnect();
    } catch {
      // already gone
    }
  };

  const post = (msg: BackgroundToRelayMessage): boolean => {
    if (closed) return false;
    try {
      port.postMessage(msg);
      return true;
    } catch {
      closed = true;
      return false;
    }
  };

  async function hello(msg: Extract<RelayToBackgroundMessage, { type: 'hello' }>): Promise<void> {
    if (msg.protocolVersion !== PROTOCOL_VERSION) {
      deps.onError(new Error(`relay speaks protocol ${msg.protocolVersion}, expected ${PROTOCOL_VERSION}`));
      return;
    }
    const db = await deps.db();
    pageUrl = String(msg.pageUrl);
    /** The page load's session, created by whichever of its frames says hello first. */
    const pageLoadSession = async (info: PageSessionInfo) => {
      const candidate = newSession({ id: info.sessionId, tabId, pageUrl: String(info.pageUrl), title: String(info.title ?? ''), startedAt: startTime(info.startedAt) });
      const stored = await ensureSession(db, candidate);
      if (stored.tabId !== tabId) return undefined; // an id from another tab: never write into its session
      if (stored === candidate) deps.onSessionStarted(tabId, stored.id);
      return stored;
    };
    let session;
    if (msg.topLevel && validSessionId(msg.sessionId)) {
      session = await pageLoadSession({ sessionId: msg.sessionId, pageUrl, title: String(msg.title ?? ''), startedAt: Number(msg.startedAt) });
    }
    if (!session && !msg.topLevel && typeof msg.sessionId === 'string') {
      // A subframe reconnecting (worker restarted) names the session it was welcomed into: keep writing there,
      // if it is this tab's.
      const named = await db.get('sessions', msg.sessionId);
      if (named && named.tabId === tabId) session = named;
    }
    if (!session && !msg.topLevel) {
      // A subframe's first hello: its top frame's relay may never connect (no socket of its own), so ask it.
      const top = await deps.topFrameSession(tabId).catch(() => undefined);
      if (top && validSessionId(top.sessionId)) session = await pageLoadSession(top);
    }
    if (!session) {
      session = await latestSessionForTab(db, tabId);
      if (!session) {
        session = await ensureSession(db, newSession({ id: randomId(), tabId, pageUrl, startedAt: Date.now() }));
        deps.onSessionStarted(tabId, session.id);
      }
    }
    sessionId = session.id;
    // Connections record the top page's URL: a subframe's own URL is their frameUrl.
    pageUrl = session.pageUrl;
    post(message({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId }));
    deps.onWelcome(connection);
  }

  async function batch(batchSeq: number, events: WireEvent[]): Promise<void> {
    if (!sessionId) return; // no hello yet: the relay resends after welcome
    const ready: WireEvent[] = [];
    for (const event of events) {
      if (event.k !== 'frame-part') {
        ready.push(event);
        continue;
      }
      const key = `${event.connectionId}#${event.seq}`;
      const parts = partial.get(key) ?? [];
      if (event.index === 0) parts.length = 0; // a resend starts the frame over
      parts.push(event);
      partial.set(key, parts);
      if (event.index === event.count - 1) {
        partial.delete(key);
        ready.push(joinFrameParts(parts));
      }
    }
    for (const event of ready) {
      if (event.k === 'connect') live.set(event.connectionId, { connect: event });
      else if (event.k === 'open') {
        const known = live.get(event.connectionId);
        if (known) known.open = event;
      }
    }
    if (ready.length > 0) {
      let result;
      try {
        const db = await deps.db();
        result = await writeEvents(db, sessionId, pageUrl, ready, { skipFrames: deps.isPaused(tabId), recall });
        if (result.sessionMissing) {
          // Cleared while the page kept capturing: what comes after the clear goes on in the session, as
          // DevTools' own log does after a clear (connections still open come back as they were: `recall`).
          await ensureSession(db, newSession({ id: sessionId, tabId, pageUrl, startedAt: Date.now() }));
          deps.onSessionStarted(tabId, sessionId);
          result = await writeEvents(db, sessionId, pageUrl, ready, { skipFrames: deps.isPaused(tabId), recall });
        }
      } catch (error) {
        dropAfterFailure();
        throw error;
      }
      if (result.connectionIds.length > 0) deps.onStored(tabId, sessionId, result.connectionIds);
      for (const event of ready) if (event.k === 'close') live.delete(event.connectionId);
    }
    // A frame still arriving in parts holds the ack back: if the worker dies now, the relay resends all of it.
    if (partial.size === 0) post(message({ type: 'ack', batchSeq }));
  }

  const connection: CaptureConnection = { tabId, sessionId: () => sessionId, post };

  port.onMessage.addListener((data) => {
    if (!isProtocolMessage(data)) return;
    const msg = data as RelayToBackgroundMessage;
    if (msg.type === 'command-result') {
      deps.onCommandResult(String(msg.requestId), msg.ok === true, msg.error === undefined ? undefined : String(msg.error));
      return;
    }
    if (msg.type === 'page-notice') {
      if (msg.notice && typeof msg.notice === 'object') deps.onNotice(tabId, msg.notice);
      return;
    }
    chain = chain
      .then(() => {
        if (failed) return undefined;
        if (msg.type === 'hello') {
          // Without a welcome the relay would wait for ever: drop the port so that it tries again.
          return hello(msg).catch((error: unknown) => {
            dropAfterFailure();
            throw error;
          });
        }
        if (msg.type === 'batch' && Number.isInteger(msg.batchSeq)) return withLargeTextBytes(msg.packed).then((packed) => batch(msg.batchSeq, unpackBatch(packed)));
        return undefined;
      })
      .catch((error: unknown) => deps.onError(error));
  });
  port.onDisconnect.addListener(() => {
    closed = true;
  });

  return connection;
}
