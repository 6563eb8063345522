/**
 * The relay's runtime port to the background, through its lifetime: opened only when wanted (the relay has
 * something to say, or the background woke it), a hello said on each new port, and reopened with growing delays
 * after it drops while something would be lost without it. With nothing unacknowledged it stays closed, so the
 * service worker of an idle tab can sleep. When the extension context is gone (reloaded, removed) it asks the
 * relay to stop instead: an old content script must not throw into the page.
 */
import type { RelayToBackgroundMessage } from '../shared/protocol';
import type { Port } from '../shared/transport';

const RECONNECT_DELAYS_MS = [0, 50, 200, 500, 1000, 2000];

export interface BackgroundPortDeps {
  /** Opens a port to the background; throws when the extension context is invalidated. */
  connect(): Port<RelayToBackgroundMessage>;
  /** False once the extension was reloaded or removed: old content scripts must stop. */
  contextValid(): boolean;
  setTimer(callback: () => void, ms: number): unknown;
  /** A new port is open: returns the hello to say on it (read now: the relay connects late, when the page has its title). */
  opened(): RelayToBackgroundMessage;
  /** A message from the background on the current port. */
  received(data: unknown): void;
  /** Something would be lost without a port: worth reconnecting for. */
  hasWork(): boolean;
  /** The extension context is gone: the relay stops for good (and closes this port). */
  stop(): void;
}

export class BackgroundPort {
  private readonly deps: BackgroundPortDeps;
  private port: Port<RelayToBackgroundMessage> | undefined;
  private welcomed = false;
  private closed = false;
  private reconnectAttempt = 0;
  /** A reconnect is scheduled: wanting the port meanwhile waits for it rather than connecting twice. */
  private reconnectPending = false;

  constructor(deps: BackgroundPortDeps) {
    this.deps = deps;
  }

  /** Whether the port is open. */
  get connected(): boolean {
    return this.port !== undefined;
  }

  /** Open and welcomed: batches may be sent. */
  get ready(): boolean {
    return this.port !== undefined && this.welcomed;
  }

  /** Connects if not connected (nor about to be). */
  want(): void {
    if (!this.port && !this.reconnectPending && !this.closed) this.openPort();
  }

  /** The background welcomed this port. */
  welcome(): void {
    this.welcomed = true;
  }

  /** Delivery works again (an ack, or a welcome with nothing to resend): the next reconnect starts from zero delay. */
  resetBackoff(): void {
    this.reconnectAttempt = 0;
  }

  /** Sends on the open port; false when there is none. A post that throws counts as a disconnect. */
  send(msg: RelayToBackgroundMessage): boolean {
    if (!this.port) return false;
    try {
      this.port.send(msg);
      return true;
    } catch {
      this.onDisconnect();
      return false;
    }
  }

  /** Closes for good (the relay stopped). */
  close(): void {
    this.closed = true;
    try {
      this.port?.disconnect();
    } catch {
      // already gone
    }
    this.port = undefined;
  }

  private openPort(): void {
    if (this.closed) return;
    if (!this.deps.contextValid()) {
      this.deps.stop();
      return;
    }
    let port: Port<RelayToBackgroundMessage>;
    try {
      port = this.deps.connect();
    } catch {
      // "Extension context invalidated" and the like: this script belongs to an extension that is gone.
      this.deps.stop();
      return;
    }
    this.port = port;
    this.welcomed = false;
    port.listen(
      (data) => {
        if (port === this.port) this.deps.received(data);
      },
      () => {
        if (this.port === port) this.onDisconnect();
      },
    );
    this.send(this.deps.opened());
  }

  private onDisconnect(): void {
    const old = this.port;
    this.port = undefined;
    this.welcomed = false;
    try {
      old?.disconnect();
    } catch {
      // already gone
    }
    if (this.closed) return;
    if (!this.deps.contextValid()) {
      this.deps.stop();
      return;
    }
    // Nothing to deliver: stay away and let the worker sleep; the next page event (or a wake) connects again.
    if (!this.deps.hasWork()) {
      this.reconnectAttempt = 0;
      return;
    }
    const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
    this.reconnectAttempt++;
    this.reconnectPending = true;
    this.deps.setTimer(() => {
      this.reconnectPending = false;
      if (!this.port) this.openPort();
    }, delay);
  }
}
