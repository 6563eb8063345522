/**
 * The panel's link to the background, as explicit states: connecting → connected, reconnecting while the
 * service worker is away (MV3 stops it when idle; connecting again wakes it), gone when the extension context or
 * the protocol no longer fits. It owns the port, the hello at connect time, and page commands awaiting their
 * `command-result` (by requestId). What arrives is handed to the root's one message switch.
 */
import type { BackgroundToPanelMessage, PanelToBackgroundMessage, WireCommand } from '../shared/protocol';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import type { Port } from '../shared/transport';
import { randomId } from '../shared/random-id';

export type LinkStatus = 'connecting' | 'connected' | 'reconnecting' | 'gone';

/** A page command's answer, or why it could not be asked. */
export interface CommandOutcome {
  ok: boolean;
  error?: string;
}

/** Waits before each reconnection attempt (the last one repeats). */
export const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

export interface LinkOptions {
  /** The inspected tab; null for a panel without one (no hello: stored sessions are still browsable). */
  tabId: number | null;
  /** Opens the port to the background; throws when the extension context is gone. */
  connect(): Port<PanelToBackgroundMessage>;
  /** Each protocol message the background sends. */
  receive(msg: BackgroundToPanelMessage): void;
}

export class BackgroundLink {
  status = $state<LinkStatus>('connecting');
  error = $state('');

  private readonly options: LinkOptions;
  private port: Port<PanelToBackgroundMessage> | undefined;
  private stopListening: (() => void) | undefined;
  private reconnectAttempt = 0;
  private closed = false;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  private readonly pendingCommands = new Map<string, (result: CommandOutcome) => void>();

  constructor(options: LinkOptions) {
    this.options = options;
  }

  /** Connects (and says hello for a tab). */
  open(): void {
    if (this.closed) return;
    let port: Port<PanelToBackgroundMessage>;
    try {
      port = this.options.connect();
    } catch (error) {
      this.fail(`The extension is no longer available (${error instanceof Error ? error.message : String(error)}). Reopen DevTools.`);
      return;
    }
    this.port = port;
    this.stopListening = port.listen(
      (data) => {
        if (isProtocolMessage(data)) this.options.receive(data as BackgroundToPanelMessage);
      },
      () => {
        if (this.port !== port) return;
        this.stopListening?.();
        this.port = undefined;
        if (this.closed) return;
        // The service worker stopped or restarted: connecting again wakes it.
        this.status = 'reconnecting';
        const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
        this.reconnectAttempt++;
        setTimeout(() => this.open(), delay);
      },
    );
    const tabId = this.options.tabId;
    if (tabId !== null) this.post(message({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId }));
    else this.status = 'connected';
  }

  /** The panel goes away: disconnect and stop reconnecting. */
  close(): void {
    this.closed = true;
    this.stopListening?.();
    try {
      this.port?.disconnect();
    } catch {
      // already gone
    }
  }

  /** The link cannot work any more (the reason is shown in the panel's banner). */
  fail(reason: string): void {
    this.status = 'gone';
    this.error = reason;
  }

  /**
   * The background's welcome: 'mismatch' when it speaks another protocol version (the link is gone), else
   * whether this is the first connection or a reconnection (notes may have been missed while the worker was away).
   */
  welcomed(protocolVersion: number): 'mismatch' | 'first' | 'again' {
    if (protocolVersion !== PROTOCOL_VERSION) {
      this.fail(`The background speaks protocol ${protocolVersion}, this panel ${PROTOCOL_VERSION}. Reopen DevTools.`);
      return 'mismatch';
    }
    const again = this.reconnectAttempt > 0;
    this.status = 'connected';
    this.error = '';
    this.reconnectAttempt = 0;
    return again ? 'again' : 'first';
  }

  /** Sends a message to the background; false when the port is down. */
  post(msg: PanelToBackgroundMessage): boolean {
    try {
      this.port?.send(msg);
      return this.port !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * Sends a command to the inspected page's sockets. Resolves with the page's answer (`command-result`), or a
   * failure if the background is not reachable.
   */
  command(command: WireCommand): Promise<CommandOutcome> {
    const tabId = this.options.tabId;
    if (tabId === null) return Promise.resolve({ ok: false, error: 'This panel is not attached to a tab.' });
    const requestId = randomId();
    return new Promise((resolve) => {
      this.pendingCommands.set(requestId, resolve);
      if (!this.post(message({ type: 'page-command', tabId, requestId, command }))) {
        this.pendingCommands.delete(requestId);
        resolve({ ok: false, error: 'Not connected to the background.' });
      }
    });
  }

  /** A `command-result` arrived: settle the command waiting for it. */
  settle(requestId: string, outcome: CommandOutcome): void {
    const resolve = this.pendingCommands.get(requestId);
    this.pendingCommands.delete(requestId);
    resolve?.(outcome);
  }
}
