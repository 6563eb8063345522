/**
 * Commands for the page hook: from the background (send, simulate-receive, close, replay, release a held frame)
 * and the intercept rules from storage. Each background command is decoded here (payloads cross the runtime port
 * encoded) and forwarded only if this frame's hook owns its target: every relay of the tab gets every command,
 * and the one whose hook knows the connection, hold or replay runs it. Notices from the hook (held frames, replay
 * progress) pass through here on their way out, since they name what the hook owns.
 */
import type { PageCommand, PageNotice, RelayToBackgroundMessage, RelayToPageMessage, WireCommand } from '../shared/protocol';
import { NAMESPACE, message } from '../shared/protocol';
import { decodePayload, encodePayload } from '../shared/wire';
import { compileRules, DEFAULT_HOLD_TIMEOUT_MS, type InterceptRule } from '../shared/intercept-rules';

/** Request ids of commands already forwarded, remembered so one delivered twice (a wake racing a port) runs once. */
const RECENT_REQUESTS = 64;

export interface PageCommandsDeps {
  /** Posts to the page hook over the private port. */
  postToPage(message: RelayToPageMessage, transfer?: Transferable[]): void;
  /** Sends to the background, if a port is open. */
  send(message: RelayToBackgroundMessage): void;
  /** Replays open from the top frame. */
  topLevel: boolean;
}

export class PageCommands {
  private readonly deps: PageCommandsDeps;
  private readonly recentRequests = new Set<string>();
  /** Connections this frame's page hook owns: commands for other connections are for other frames. */
  readonly knownConnections = new Set<string>();
  /** Holds and replays this frame's page hook owns, so commands for them come here and nowhere else. */
  private readonly knownHolds = new Set<string>();
  private readonly knownReplays = new Set<string>();
  /** Rules were handed to the hook (so an empty list must be too, to lift them). */
  private rulesGiven = false;

  constructor(deps: PageCommandsDeps) {
    this.deps = deps;
  }

  /**
   * Intercept rules as stored (storage.local, written by the background): compiled here, in the isolated world
   * where no page code can interfere (RegExps survive the clone), and handed to the hook. Malformed storage means
   * no rules.
   */
  applyRules(stored: unknown): void {
    const value = typeof stored === 'object' && stored !== null ? (stored as { rules?: unknown; holdTimeoutMs?: unknown }) : {};
    const rules = Array.isArray(value.rules) ? (value.rules as InterceptRule[]).filter((rule) => typeof rule === 'object' && rule !== null) : [];
    if (rules.length === 0 && !this.rulesGiven) return; // the hook starts with none: nothing to tell it
    this.rulesGiven = rules.length > 0;
    const holdTimeoutMs = Number(value.holdTimeoutMs) > 0 ? Number(value.holdTimeoutMs) : DEFAULT_HOLD_TIMEOUT_MS;
    this.forward('', { kind: 'set-rules', rules, holdTimeoutMs });
  }

  /** A notice from the hook, for the background: a held frame's payload is encoded for the port first. */
  async forwardNotice(notice: PageNotice): Promise<void> {
    if (notice.kind === 'held') {
      this.knownHolds.add(notice.holdId);
      const data: unknown = notice.data;
      const bytes = typeof data === 'string' || data instanceof ArrayBuffer ? data : await (data as Blob).arrayBuffer();
      this.deps.send(message({ type: 'page-notice', notice: { ...notice, data: encodePayload(bytes) } }));
      return;
    }
    if (notice.kind === 'released') this.knownHolds.delete(notice.holdId);
    if (notice.kind === 'replay-progress' && notice.connectionId) this.knownConnections.add(notice.connectionId);
    this.deps.send(message({ type: 'page-notice', notice }));
  }

  /** A command from the background (requestId '' for the relay's own, which need no answer). */
  forward(requestId: string, command: WireCommand): void {
    if (requestId) {
      if (this.recentRequests.has(requestId)) return;
      this.recentRequests.add(requestId);
      if (this.recentRequests.size > RECENT_REQUESTS) this.recentRequests.delete(this.recentRequests.values().next().value!);
    }
    let pageCommand: PageCommand;
    try {
      switch (command.kind) {
        case 'send':
        case 'simulate-receive':
          if (!this.knownConnections.has(command.connectionId)) return; // another frame's socket
          pageCommand = { kind: command.kind, socketId: command.connectionId, data: decodePayload(command) };
          break;
        case 'close':
          if (!this.knownConnections.has(command.connectionId)) return;
          pageCommand = { kind: 'close', socketId: command.connectionId, code: command.code, reason: command.reason };
          break;
        case 'replay':
          if (!this.deps.topLevel) return; // replays open from the top frame
          this.knownReplays.add(command.replayId);
          pageCommand = { ...command, steps: command.steps.map((step) => ({ data: decodePayload(step.data), delayMs: step.delayMs })) };
          break;
        case 'replay-stop':
          if (!this.knownReplays.has(command.replayId)) return;
          pageCommand = command;
          break;
        case 'release':
          if (!this.knownHolds.has(command.holdId)) return;
          pageCommand = { kind: 'release', holdId: command.holdId, action: command.action, data: command.data ? decodePayload(command.data) : undefined };
          break;
        case 'set-rules':
          // Compiled here, in the isolated world, where no page code can interfere; RegExps survive the clone.
          pageCommand = { kind: 'set-rules', rules: compileRules(command.rules), holdTimeoutMs: command.holdTimeoutMs };
          break;
        default:
          return;
      }
    } catch {
      if (requestId) this.deps.send(message({ type: 'command-result', requestId, ok: false, error: 'The payload is not valid base64.' }));
      return;
    }
    const transfer: Transferable[] = [];
    if (pageCommand.kind === 'send' || pageCommand.kind === 'simulate-receive' || pageCommand.kind === 'release') {
      if (pageCommand.data instanceof ArrayBuffer) transfer.push(pageCommand.data);
    }
    this.deps.postToPage({ ns: NAMESPACE, type: 'command', requestId, command: pageCommand }, transfer);
  }
}
