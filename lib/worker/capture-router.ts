/**
 * The background side of capture: every relay's port, by tab. It names each relay's session at its hello
 * (capture-session.ts), writes each batch to IndexedDB in one transaction and only then acknowledges it, so a
 * batch is either stored or still held by the relay; writes are serialised per port to keep order. It tells the
 * tab's panels what was stored (PanelNotices), hands panel commands to the tab's relays (waking relays with no
 * port open: pending-commands.ts), and runs retention after writes.
 *
 * One received frame: relay port → onRelayMessage → storeBatch (writeEvents) → ack to the relay, `stored` to panels.
 *
 * When a page goes away its connections still open are ended in the store (issues #10 §1, #21 §1): after its
 * relay's goodbye ('page-closed', said on pagehide after its last batches), when its tab is removed ('page-closed':
 * Chromium drops a closing tab's goodbye; see gone-tabs.ts), or when its port drops without either ('crashed': the
 * renderer died). A frame whose capture could not start (capture-gap) is listed on its session.
 */
import type { BackgroundToRelayMessage, PageSessionInfo, RelayToBackgroundMessage, WireCommand, WireEvent } from '../shared/protocol';
import type { Port } from '../shared/transport';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import { unpackBatch, withLargeTextBytes } from '../shared/packed-batch';
import { appendCaptureGap, endConnectionsOfGonePage, ensureSession, newSession, writeEvents, type InspectorDatabase } from '../store/frame-store';
import type { ConnectionRecord } from '../shared/records';
import { CaptureConnection } from './capture-connection';
import { sessionForHello } from './capture-session';
import type { PanelNotices, PanelPort } from './panel-ports';
import { PendingCommands } from './pending-commands';
import { RetentionSchedule } from './retention-schedule';

export interface CaptureRouterDeps {
  db(): Promise<InspectorDatabase>;
  /** Tabs whose frames are not recorded; `loaded` resolves once they are known (nothing is written before). */
  paused: { has(tabId: number): boolean; readonly loaded: Promise<void> };
  panels: PanelNotices;
  /** Asks every relay of the tab to connect (tabs.sendMessage); false when no frame of the tab could be reached. */
  wakeTab(tabId: number): Promise<boolean>;
  /**
   * The tab's top frame's page load, asked without connecting; undefined when it has no relay. `patient`: retry
   * for a moment, as a frame that is loading has no relay yet.
   */
  topFrameSession(tabId: number, patient?: boolean): Promise<PageSessionInfo | undefined>;
  /**
   * When the tab was removed, if it is gone or goes within a moment (gone-tabs.ts, GoneTabs.removalTime); asked
   * when a port drops with no goodbye. Absent: every such drop is a crash.
   */
  tabRemovedAt?(tabId: number): Promise<number | undefined>;
  log(error: unknown): void;
}

type Hello = Extract<RelayToBackgroundMessage, { type: 'hello' }>;

export class CaptureRouter {
  private readonly deps: CaptureRouterDeps;
  private readonly relays = new Map<number, Set<CaptureConnection>>();
  private readonly commands = new PendingCommands();
  readonly retention: RetentionSchedule;

  constructor(deps: CaptureRouterDeps) {
    this.deps = deps;
    this.retention = new RetentionSchedule({
      db: () => deps.db(),
      liveSessions: () => this.liveSessions(),
      topFrameSession: (tabId, patient) => deps.topFrameSession(tabId, patient),
      toAll: (msg) => deps.panels.toAll(msg),
      log: (error) => deps.log(error),
    });
  }

  /** A relay connected from a frame of `tabId` (the tab as the browser says, never as a message does). */
  addCapturePort(port: Port<BackgroundToRelayMessage>, tabId: number): CaptureConnection {
    const relay = new CaptureConnection(port, tabId);
    const set = this.relays.get(tabId) ?? new Set();
    set.add(relay);
    this.relays.set(tabId, set);
    port.listen(
      (data) => this.onRelayMessage(relay, data),
      () => {
        relay.disconnected();
        set.delete(relay);
        if (set.size === 0) this.relays.delete(tabId);
        // No goodbye: the tab was closed (Chromium loses a closing tab's goodbye: then the tab is removed), or the
        // page went without its pagehide (a renderer crash). After what it sent is stored.
        if (!relay.saidGoodbye && !relay.dropped) {
          const time = Date.now();
          relay.enqueue(async () => {
            const removed = await this.deps.tabRemovedAt?.(tabId);
            await this.endPage(relay, removed === undefined ? { reason: 'crashed', time } : { reason: 'page-closed', time: removed });
          }, (error) => this.deps.log(error));
        }
      },
    );
    return relay;
  }

  /**
   * The tab was removed (tabs.onRemoved) at `time`: its relays' connections still open are ended as 'page-closed',
   * each after what its relay sent before is stored. Resolves once they are.
   */
  tabRemoved(tabId: number, time: number): Promise<void> {
    const relays = [...(this.relays.get(tabId) ?? [])];
    return Promise.all(relays.map((relay) => relay.enqueue(() => this.endPage(relay, { reason: 'page-closed', time }), (error) => this.deps.log(error)))).then(() => undefined);
  }

  /** A panel's command for a page of its tab: to each relay of the tab, connected now or woken for it. */
  async sendCommand(panel: PanelPort, tabId: number, requestId: string, command: WireCommand): Promise<void> {
    // Each relay knows its own frame's sockets and ignores the rest; relays with no port are woken and get
    // the command when welcomed.
    this.commands.add(requestId, panel, tabId, command, this.relays.get(tabId) ?? []);
    const reached = await this.deps.wakeTab(tabId);
    if (!reached && !this.relays.get(tabId)?.size) this.commands.finish(requestId, false, 'The page is not connected (closed, navigated away, or not captured).');
  }

  /** The panel closed: its commands are not waited for any more. */
  dropPanel(panel: PanelPort): void {
    this.commands.cancel(panel);
  }

  /** Sessions being captured right now are never evicted. */
  liveSessions(): Set<string> {
    const live = new Set<string>();
    for (const set of this.relays.values()) for (const relay of set) if (relay.sessionId) live.add(relay.sessionId);
    return live;
  }

  /** The database, once the paused tabs are known (whether to skip frames is decided when writing). */
  private async db(): Promise<InspectorDatabase> {
    await this.deps.paused.loaded;
    return this.deps.db();
  }

  private onRelayMessage(relay: CaptureConnection, data: unknown): void {
    if (!isProtocolMessage(data)) return;
    const msg = data as RelayToBackgroundMessage;
    if (msg.type === 'command-result') {
      this.commands.finish(String(msg.requestId), msg.ok === true, msg.error === undefined ? undefined : String(msg.error));
      return;
    }
    if (msg.type === 'page-notice') {
      if (msg.notice && typeof msg.notice === 'object') this.deps.panels.toTab(relay.tabId, message({ type: 'page-notice', tabId: relay.tabId, notice: msg.notice }));
      return;
    }
    if (msg.type === 'goodbye') {
      relay.saidGoodbye = true;
      relay.addOpen(msg.openConnections);
      const time = typeof msg.time === 'number' && Number.isFinite(msg.time) && msg.time <= Date.now() ? msg.time : Date.now();
      relay.enqueue(() => this.endPage(relay, { reason: 'page-closed', time }), (error) => this.deps.log(error));
      return;
    }
    relay.enqueue(() => {
      if (msg.type === 'capture-gap') return this.captureGap(relay, msg.frameUrl);
      if (msg.type === 'hello') {
        // Without a welcome the relay would wait for ever: drop the port so that it tries again.
        return this.welcome(relay, msg).catch((error: unknown) => {
          relay.dropAfterFailure();
          throw error;
        });
      }
      if (msg.type === 'batch' && Number.isInteger(msg.batchSeq)) return withLargeTextBytes(msg.packed).then((packed) => this.storeBatch(relay, msg.batchSeq, unpackBatch(packed)));
      return undefined;
    }, (error) => this.deps.log(error));
  }

  private async welcome(relay: CaptureConnection, hello: Hello): Promise<void> {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      this.deps.log(new Error(`relay speaks protocol ${hello.protocolVersion}, expected ${PROTOCOL_VERSION}`));
      return;
    }
    const db = await this.db();
    const { session, created } = await sessionForHello(db, relay.tabId, hello, (tabId) => this.deps.topFrameSession(tabId));
    if (created) this.deps.panels.toTab(relay.tabId, message({ type: 'session-started', sessionId: session.id }));
    relay.sessionId = session.id;
    relay.addOpen(hello.openConnections);
    // Connections record the top page's URL: a subframe's own URL is their frameUrl.
    relay.pageUrl = session.pageUrl;
    relay.post(message({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId: session.id }));
    this.commands.welcomed(relay);
  }

  /** Ends the connections the relay's document still had: they went with it. */
  private async endPage(relay: CaptureConnection, pageGone: NonNullable<ConnectionRecord['pageGone']>): Promise<void> {
    const { sessionId } = relay;
    if (!sessionId || relay.open.size === 0) return;
    const changed = await endConnectionsOfGonePage(await this.db(), sessionId, relay.open, pageGone);
    relay.open.clear();
    if (changed.length > 0) this.deps.panels.toTab(relay.tabId, message({ type: 'stored', sessionId, connectionIds: changed }));
  }

  /** A frame of the relay's page whose hand-over failed: listed on its session, and the tab's panels told. */
  private async captureGap(relay: CaptureConnection, frameUrl: unknown): Promise<void> {
    const { sessionId } = relay;
    if (!sessionId) return;
    const gap = { frameUrl: String(frameUrl).slice(0, 4096), reason: 'hand-over-failed' as const, time: Date.now() };
    if (await appendCaptureGap(await this.db(), sessionId, gap)) this.deps.panels.toTab(relay.tabId, message({ type: 'capture-gap', sessionId, gap }));
  }

  private async storeBatch(relay: CaptureConnection, batchSeq: number, events: WireEvent[]): Promise<void> {
    const { tabId, sessionId, pageUrl } = relay;
    if (!sessionId) return; // no hello yet: the relay resends after welcome
    const ready = relay.joinParts(events);
    relay.trackOpened(ready);
    if (ready.length > 0) {
      let result;
      try {
        const db = await this.db();
        result = await writeEvents(db, sessionId, pageUrl, ready, { skipFrames: this.deps.paused.has(tabId), recall: relay.recall });
        if (result.sessionMissing) {
          // Cleared while the page kept capturing: what comes after the clear goes on in the session, as
          // DevTools' own log does after a clear (connections still open come back as they were: `recall`).
          await ensureSession(db, newSession({ id: sessionId, tabId, pageUrl, startedAt: Date.now() }));
          this.deps.panels.toTab(tabId, message({ type: 'session-started', sessionId }));
          result = await writeEvents(db, sessionId, pageUrl, ready, { skipFrames: this.deps.paused.has(tabId), recall: relay.recall });
        }
      } catch (error) {
        relay.dropAfterFailure();
        throw error;
      }
      if (result.connectionIds.length > 0) {
        this.deps.panels.toTab(tabId, message({ type: 'stored', sessionId, connectionIds: result.connectionIds }));
        this.retention.schedule();
      }
      relay.forgetClosed(ready);
    }
    // A frame still arriving in parts holds the ack back: if the worker dies now, the relay resends all of it.
    if (!relay.holdsParts) relay.post(message({ type: 'ack', batchSeq }));
  }
}
