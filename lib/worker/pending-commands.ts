/**
 * Panel commands on their way to a page (send, close, replay, release a held frame…) until a relay answers.
 * Relays connect only when they have something to say, so a command's target may have no port open when it is
 * asked: it waits here, goes to each relay of its tab welcomed meanwhile (once each), and fails after
 * COMMAND_TIMEOUT_MS. Each relay forwards only commands for its own frame's sockets, so all of them get it.
 */
import type { BackgroundToRelayMessage, WireCommand } from '../shared/protocol';
import { message } from '../shared/protocol';
import { sendToPanel, type PanelPort } from './panel-ports';

/** How long a panel command waits for the page to answer before it is reported as failed. */
export const COMMAND_TIMEOUT_MS = 5000;

/** A relay's connection, as a command target. */
export interface CommandTarget {
  readonly tabId: number;
  post(message: BackgroundToRelayMessage): boolean;
}

interface PendingCommand {
  panel: PanelPort;
  timer: ReturnType<typeof setTimeout>;
  tabId: number;
  command: WireCommand;
  /** Relays it was handed to: a relay welcomed while the command waits gets it once. */
  deliveredTo: WeakSet<CommandTarget>;
}

export class PendingCommands {
  private readonly pending = new Map<string, PendingCommand>();

  /** Starts waiting for an answer to the panel's command, and hands it to the tab's relays connected now. */
  add(requestId: string, panel: PanelPort, tabId: number, command: WireCommand, relays: Iterable<CommandTarget>): void {
    const timer = setTimeout(() => this.finish(requestId, false, 'The page did not answer: the connection is no longer in the page.'), COMMAND_TIMEOUT_MS);
    const pending: PendingCommand = { panel, timer, tabId, command, deliveredTo: new WeakSet() };
    this.pending.set(requestId, pending);
    for (const relay of relays) this.deliver(requestId, pending, relay);
  }

  /** A relay was welcomed: commands waiting for its tab go to it. */
  welcomed(relay: CommandTarget): void {
    for (const [requestId, pending] of this.pending) if (pending.tabId === relay.tabId) this.deliver(requestId, pending, relay);
  }

  /** The answer (a relay's, or a failure): the panel that asked is told, once. */
  finish(requestId: string, ok: boolean, error?: string): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(requestId);
    sendToPanel(pending.panel, message({ type: 'command-result', requestId, ok, error }));
  }

  /** The panel closed: its commands are not waited for any more. */
  cancel(panel: PanelPort): void {
    for (const [requestId, pending] of this.pending) {
      if (pending.panel === panel) {
        clearTimeout(pending.timer);
        this.pending.delete(requestId);
      }
    }
  }

  private deliver(requestId: string, pending: PendingCommand, relay: CommandTarget): void {
    if (pending.deliveredTo.has(relay)) return;
    pending.deliveredTo.add(relay);
    relay.post(message({ type: 'command', requestId, command: pending.command }));
  }
}
