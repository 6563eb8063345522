/**
 * One relay's capture port, as the router keeps it: the session it writes into, its writes in order (one at a
 * time, so batches are stored in the order sent), frames still arriving in parts, and its connections not closed
 * yet (a session cleared while they are open lists them again). Every post is guarded: the relay may be gone.
 */
import type { BackgroundToRelayMessage, WireEvent, WireFramePartEvent } from '../shared/protocol';
import type { Port } from '../shared/transport';
import type { RecalledConnection } from '../store/frame-store';
import { joinFrameParts } from '../shared/wire';

export class CaptureConnection {
  readonly tabId: number;
  private readonly port: Port<BackgroundToRelayMessage>;
  /** The session it was welcomed into (undefined before its hello is answered). */
  sessionId: string | undefined;
  /** The top page's URL, recorded with its connections (a subframe's own URL is their frameUrl). */
  pageUrl = '';
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set when storing failed: nothing more is handled on this port (see dropAfterFailure). */
  private failed = false;
  /** Parts of a frame still arriving, keyed connectionId#seq. */
  private readonly partial = new Map<string, WireFramePartEvent[]>();
  /** This port's connections not closed yet, as writeEvents' `recall` wants them (a cleared session lists them again). */
  private readonly live = new Map<string, RecalledConnection>();
  /**
   * This frame's connections not closed yet: connects stored through this port, and those its relay named in its
   * hello or goodbye (a relay reconnecting to a restarted background). Ended in the store when the page goes.
   */
  readonly open = new Set<string>();
  /** The relay said goodbye (its document is going away): a drop after it is no crash. */
  saidGoodbye = false;
  readonly recall = (connectionId: string): RecalledConnection | undefined => this.live.get(connectionId);

  constructor(port: Port<BackgroundToRelayMessage>, tabId: number) {
    this.port = port;
    this.tabId = tabId;
  }

  post(msg: BackgroundToRelayMessage): boolean {
    if (this.closed) return false;
    try {
      this.port.send(msg);
      return true;
    } catch {
      this.closed = true;
      return false;
    }
  }

  /** The relay went away. */
  disconnected(): void {
    this.closed = true;
  }

  /** Storing failed on this port (see dropAfterFailure): its drop says nothing about its page. */
  get dropped(): boolean {
    return this.failed;
  }

  /** Connection ids a relay names as its own and still open (hello, goodbye): strings only, a bounded number. */
  addOpen(ids: unknown): void {
    if (!Array.isArray(ids)) return;
    for (const id of ids.slice(0, 10_000)) if (typeof id === 'string' && id.length > 0 && id.length <= 200) this.open.add(id);
  }

  /**
   * A batch that could not be stored must not be acknowledged, and neither may a later one (acks are
   * cumulative). Dropping the port makes the relay reconnect, with backoff, and resend from that batch on.
   */
  dropAfterFailure(): void {
    this.failed = true;
    this.closed = true;
    try {
      this.port.disconnect();
    } catch {
      // already gone
    }
  }

  /** Runs `step` after every step before it; none once storing failed. Errors go to `onError`. Resolves when done. */
  enqueue(step: () => Promise<void> | undefined, onError: (error: unknown) => void): Promise<void> {
    this.chain = this.chain
      .then(() => (this.failed ? undefined : step()))
      .catch(onError);
    return this.chain;
  }

  /** The events of a batch that are ready to store: a frame's parts are held until its last one, then joined. */
  joinParts(events: WireEvent[]): WireEvent[] {
    const ready: WireEvent[] = [];
    for (const event of events) {
      if (event.k !== 'frame-part') {
        ready.push(event);
        continue;
      }
      const key = `${event.connectionId}#${event.seq}`;
      const parts = this.partial.get(key) ?? [];
      if (event.index === 0) parts.length = 0; // a resend starts the frame over
      parts.push(event);
      this.partial.set(key, parts);
      if (event.index === event.count - 1) {
        this.partial.delete(key);
        ready.push(joinFrameParts(parts));
      }
    }
    return ready;
  }

  /** A frame is still arriving in parts. */
  get holdsParts(): boolean {
    return this.partial.size > 0;
  }

  /** Remembers connections opened in these events, for `recall`. */
  trackOpened(ready: WireEvent[]): void {
    for (const event of ready) {
      if (event.k === 'connect') {
        this.live.set(event.connectionId, { connect: event });
        this.open.add(event.connectionId);
      }
      else if (event.k === 'open') {
        const known = this.live.get(event.connectionId);
        if (known) known.open = event;
      }
    }
  }

  /** Forgets connections closed in these (stored) events. */
  forgetClosed(ready: WireEvent[]): void {
    for (const event of ready) {
      if (event.k !== 'close') continue;
      this.live.delete(event.connectionId);
      this.open.delete(event.connectionId);
    }
  }
}
