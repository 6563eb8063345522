/**
 * The relay (isolated content script): takes page events from the page hook's private port and delivers them to
 * the background over a structured-clone runtime port, in numbered batches that it keeps until the background
 * acknowledges them as stored. When the port drops (worker stopped, restarted) it reconnects and resends what was
 * not acknowledged; when the extension context is gone it stops quietly.
 *
 * It connects only when it has something to say (the hook's first event) or the background wakes it (wake): a
 * page that never opens a WebSocket never wakes the service worker and writes no session, and a relay with
 * nothing unacknowledged stays away when the worker stops, so idle tabs let it sleep. Intercept rules come from
 * storage (applyRules), not the port, so they reach the hook before the page's first socket either way.
 *
 * It runs on the page's main thread, so its per-frame work is the page's cost: the hook batches over time, and
 * each of its batches is converted and posted at once, in packed batches of up to MAX_BATCH_WEIGHT characters
 * (one such batch per task; the rest follows after FLUSH_INTERVAL_MS).
 *
 * This class assembles the parts, each a module of its own: PageIntake (the hook's batches into packed batches),
 * BatchQueue (numbered batches, acks, resends), BackgroundPort (the port's lifetime), PageCommands (commands and
 * rules for the hook, notices from it).
 */
import type { BackgroundToRelayMessage, LastWords, PackedBatch, PageSessionInfo, PageToRelayMessage, RelayToBackgroundMessage, RelayToPageMessage } from '../shared/protocol';
import type { Port } from '../shared/transport';
import { NAMESPACE, PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import { BatchQueue } from './batch-queue';
import { PageOrder } from './page-order';
import { BackgroundPort } from './background-port';
import { PageCommands } from './page-commands';
import { PageIntake } from './page-intake';

export { MAX_BATCH_WEIGHT } from './batch-queue';
export const FLUSH_INTERVAL_MS = 50;

export interface RelayEnvironment {
  /** Opens a port to the background; throws when the extension context is invalidated. */
  connect(): Port<RelayToBackgroundMessage>;
  /** False once the extension was reloaded or removed: old content scripts must stop. */
  contextValid(): boolean;
  /** Posts to the page hook over the private port. */
  postToPage(message: RelayToPageMessage, transfer?: Transferable[]): void;
  setTimer(callback: () => void, ms: number): unknown;
  topLevel: boolean;
  pageUrl: string;
  /** This frame's own origin (`location.origin`): which rules its hook may have. */
  origin: string;
  /** This frame's URL now (`location.href`): what its connections are stored under. */
  frameUrl(): string;
  /** Read when saying hello (the relay connects late, when the page has its title). */
  title(): string;
  /** When this relay started (its page load), epoch ms. */
  startedAt: number;
  /** The top frame's session id (one per tab and page load); subframes get theirs from the background. */
  sessionId?: string;
}

export class CaptureRelay {
  private readonly env: RelayEnvironment;
  private sessionId: string | undefined;
  private stopped = false;
  private flushTimer = false;
  private readonly queue = new BatchQueue();
  private readonly port: BackgroundPort;
  private readonly commands: PageCommands;
  private readonly intake: PageIntake;
  /** Connections of this frame seen connecting and not closed: ended in the store if the page goes away. */
  private readonly openConnections = new Set<string>();
  /** A capture gap to report (the hand-over failed), until the background welcomed a port it was said on. */
  private gap: RelayToBackgroundMessage | undefined;
  /** The page is hidden (pagehide; until pageshow): last words now go out at once, with a goodbye after them. */
  private hidden = false;
  /** The hook's messages, port and synchronous hand-overs alike, taken in the order it gave them. */
  private readonly pageOrder = new PageOrder<PageToRelayMessage>((msg) => this.takePageMessage(msg));

  constructor(env: RelayEnvironment) {
    this.env = env;
    this.sessionId = env.sessionId;
    this.port = new BackgroundPort({
      connect: () => env.connect(),
      contextValid: () => env.contextValid(),
      setTimer: (callback, ms) => env.setTimer(callback, ms),
      opened: () => this.opened(),
      received: (data) => this.onBackgroundMessage(data),
      hasWork: () => this.queue.count > 0 || this.intake.busy || this.pageOrder.waitingCount > 0 || this.gap !== undefined,
      stop: () => this.stop(),
    });
    const postToPage = (msg: RelayToPageMessage, transfer?: Transferable[]) => env.postToPage(msg, transfer);
    this.commands = new PageCommands({ postToPage, send: (msg) => this.port.send(msg), topLevel: env.topLevel, origin: env.origin });
    this.intake = new PageIntake({
      queue: this.queue,
      knownConnections: this.commands.knownConnections,
      openConnections: this.openConnections,
      frameUrl: () => env.frameUrl(),
      postToPage,
      setTimer: (callback, ms) => env.setTimer(callback, ms),
      flush: () => this.flush(),
    });
  }

  /** Whether the capture port is open (for tests). */
  get connected(): boolean {
    return this.port.connected;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Batches not yet acknowledged (for tests). */
  get unackedCount(): number {
    return this.queue.count;
  }

  /** The background asks for the port (a command is waiting): connect if not connected. */
  wake(): void {
    this.port.want();
  }

  /** The top frame's page load, for the background's session-query; undefined in subframes. */
  sessionInfo(): PageSessionInfo | undefined {
    if (!this.env.topLevel || this.stopped || this.env.sessionId === undefined) return undefined;
    return { sessionId: this.env.sessionId, pageUrl: this.env.pageUrl, title: this.env.title(), startedAt: this.env.startedAt };
  }

  /** Intercept rules as stored (storage.local), for the hook: see PageCommands.applyRules. */
  applyRules(stored: unknown): void {
    if (!this.stopped) this.commands.applyRules(stored);
  }

  /** Whether rules for this frame include an enabled breakpoint (then it matters whether a panel watches). */
  get breakpointsApply(): boolean {
    return this.commands.breakpointsApply;
  }

  /** A panel started or stopped watching the tab: see PageCommands.setWatched. */
  setWatched(watched: boolean): void {
    if (!this.stopped) this.commands.setWatched(watched);
  }

  /** Notices from the page dropped as not about anything this relay saw (for tests). */
  get droppedNotices(): number {
    return this.commands.droppedNotices;
  }

  /**
   * The hook handed over no port in the time a hand-over takes: this frame's sockets are not captured. Said to the
   * background (which lists it on the session) so the panel can say so instead of showing nothing.
   */
  handoverFailed(): void {
    if (this.stopped) return;
    this.gap = message<RelayToBackgroundMessage>({ type: 'capture-gap', reason: 'hand-over-failed', frameUrl: this.env.frameUrl(), time: Date.now() });
    this.port.want();
  }

  /**
   * The document is going away (pagehide): everything this relay holds goes now, at once, without waiting for a
   * welcome (the background handles a port's messages in order, hello first), connecting if need be; then the
   * goodbye, which ends this frame's open connections in the store. Batches not acknowledged stay queued: a page
   * restored from the back/forward cache resends them on its next port (stored once: writes are idempotent).
   */
  pageHidden(): void {
    if (this.stopped) return;
    this.hidden = true;
    this.pageOrder.release(); // what was still on the page's port will not come now
    if (!this.sendAllNow()) return;
    this.port.send(message({ type: 'goodbye', time: Date.now(), openConnections: [...this.openConnections] }));
  }

  /** The page is shown again (pageshow, from the back/forward cache): no longer leaving. */
  pageShown(): void {
    this.hidden = false;
  }

  /**
   * The hook's synchronous hand-over (LastWords, given while the page is leaving, or 'at-once' for sparse traffic):
   * its messages go in as the port's would, in the hook's order (PageOrder). Normally the hook's pagehide listener runs before the relay's, whose pageHidden then sends
   * them; what comes after it (the page's own pagehide listener sent a frame) goes at once, with another goodbye
   * (the background ends only connections still open, so the second changes nothing else). A page being frozen
   * may never run a task again (a discarded tab): what it gave goes at once too.
   */
  acceptLastWords(data: unknown): void {
    if (this.stopped || typeof data !== 'object' || data === null) return;
    const { reason, messages } = data as Partial<LastWords>;
    if (!Array.isArray(messages)) return;
    for (const msg of messages) if (isProtocolMessage(msg) && (msg.type === 'page-events' || msg.type === 'page-text-piece')) this.acceptPageMessage(msg);
    if (this.hidden) this.pageHidden();
    else if (reason === 'freeze') {
      this.pageOrder.release();
      this.sendAllNow();
    }
  }

  /**
   * Sends every batch held at once, without waiting for a welcome (the background handles a port's messages in
   * order, hello first), connecting if need be. False when there is no port to send on.
   */
  private sendAllNow(): boolean {
    this.port.want();
    if (!this.port.connected) return false;
    this.queue.seal();
    while (!this.queue.sendPending(this.sendBatch)) {
      // one batch weight per call: go on until all are sent (the page is leaving; its tasks no longer matter)
    }
    return true;
  }

  /** A message from the page hook's port. */
  acceptPageMessage(data: unknown): void {
    if (this.stopped || !isProtocolMessage(data)) return;
    const msg = data as PageToRelayMessage;
    this.pageOrder.accept(msg.n, msg);
  }

  private takePageMessage(msg: PageToRelayMessage): void {
    if (this.stopped) return;
    this.port.want();
    if (msg.type === 'page-events') {
      this.intake.acceptPageEvents(msg);
    } else if (msg.type === 'page-text-piece') {
      this.intake.acceptTextPiece(msg.piece);
    } else if (msg.type === 'command-result') {
      if (msg.requestId) this.port.send(message({ type: 'command-result', requestId: msg.requestId, ok: msg.ok, error: msg.error }));
    } else if (msg.type === 'page-notice') {
      void this.commands.forwardNotice(msg.notice);
    }
  }

  /**
   * Seals what is being built and sends every batch not yet sent on this port, welcomed or not: the background
   * handles a port's messages in order, hello first, and stores nothing it cannot place (a batch before a failed
   * hello stays unacknowledged and goes again). Waiting for the welcome lost the frames of a page that closed its
   * tab within a round trip of its first socket.
   */
  flush(): void {
    this.queue.seal();
    if (!this.port.connected) return;
    if (!this.queue.sendPending(this.sendBatch)) this.scheduleFlush();
  }

  /** Made once: sendPending calls it per batch. */
  private readonly sendBatch = (batchSeq: number, packed: PackedBatch): boolean => this.port.send(message({ type: 'batch', batchSeq, packed }));

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = true;
    this.env.setTimer(() => {
      this.flushTimer = false;
      this.flush();
    }, FLUSH_INTERVAL_MS);
  }

  /** A new port: every unacknowledged batch goes again after the welcome; the hello comes first. */
  private opened(): RelayToBackgroundMessage {
    this.queue.restart();
    return message({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      sessionId: this.sessionId,
      topLevel: this.env.topLevel,
      pageUrl: this.env.pageUrl,
      title: this.env.title(),
      startedAt: this.env.startedAt,
      openConnections: this.openConnections.size > 0 ? [...this.openConnections] : undefined,
    });
  }

  private onBackgroundMessage(data: unknown): void {
    if (!isProtocolMessage(data)) return;
    const msg = data as BackgroundToRelayMessage;
    switch (msg.type) {
      case 'welcome':
        this.port.welcome();
        // With batches to resend, only an ack proves the background can store them again (a background that
        // fails to store drops the port, and reconnecting at once would spin); with none, the welcome is enough.
        if (this.queue.sealedCount === 0) this.port.resetBackoff();
        this.sessionId = msg.sessionId;
        if (this.gap && this.port.send(this.gap)) this.gap = undefined;
        this.flush();
        break;
      case 'ack':
        this.port.resetBackoff();
        this.queue.ack(msg.batchSeq);
        break;
      case 'command':
        if (!this.stopped) this.commands.forward(msg.requestId, msg.command);
        break;
    }
  }

  /** Stops for good: tells the page hook to stop recording and drops everything. Never throws. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.intake.clear();
    this.queue.clear();
    try {
      this.env.postToPage({ ns: NAMESPACE, type: 'stop' });
    } catch {
      // page port gone
    }
    this.port.close();
  }
}
