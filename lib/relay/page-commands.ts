/**
 * Commands for the page hook: from the background (send, simulate-receive, close, replay, release a held frame)
 * and the intercept rules from storage. Each background command is decoded here (payloads cross the runtime port
 * encoded) and forwarded only if this frame's hook owns its target: every relay of the tab gets every command,
 * and the one whose hook knows the connection, hold or replay runs it. Notices from the hook (held frames, replay
 * progress) pass through here on their way out, since they name what the hook owns.
 *
 * What the page may not have (issue #9 §1-2, §6): the hook is handed only the rules whose scope covers this
 * frame's own origin, and breakpoints only while a panel watches the tab (when the last one closes, held frames
 * are forwarded). A notice is passed on only if it is about what this relay saw: `held` for a connection the hook
 * reported connecting, while breakpoints apply here; `released` for a hold passed on; `replay-progress` for a
 * replay this relay handed the hook. Anything else is dropped (and counted), so a page that holds the port cannot
 * make the panel show a held frame of its making.
 */
import type { PageCommand, PageNotice, RelayToBackgroundMessage, RelayToPageMessage, WireCommand } from '../shared/protocol';
import { NAMESPACE, message } from '../shared/protocol';
import { decodePayload, encodePayload } from '../shared/wire';
import { compileRules, DEFAULT_HOLD_TIMEOUT_MS, rulesForOrigin, type InterceptRule } from '../shared/intercept-rules';

/** Request ids of commands already forwarded, remembered so one delivered twice (a wake racing a port) runs once. */
const RECENT_REQUESTS = 64;

export interface PageCommandsDeps {
  /** Posts to the page hook over the private port. */
  postToPage(message: RelayToPageMessage, transfer?: Transferable[]): void;
  /** Sends to the background, if a port is open. */
  send(message: RelayToBackgroundMessage): void;
  /** Replays open from the top frame. */
  topLevel: boolean;
  /** This frame's own origin (the relay's `location.origin`): rules scoped to other sites never reach its hook. */
  origin: string;
}

const DIRECTIONS = new Set(['send', 'receive']);

export class PageCommands {
  private readonly deps: PageCommandsDeps;
  private readonly recentRequests = new Set<string>();
  /** Connections this frame's page hook owns: commands for other connections are for other frames. */
  readonly knownConnections = new Set<string>();
  /** Holds (id → connection) and replays this frame's page hook owns, so commands for them come here and nowhere else. */
  private readonly knownHolds = new Map<string, string>();
  private readonly knownReplays = new Set<string>();
  /** Rules were handed to the hook (so an empty list must be too, to lift them). */
  private rulesGiven = false;
  /** The rules as stored (every site's, not yet filtered). */
  private stored: InterceptRule[] = [];
  private holdTimeoutMs = DEFAULT_HOLD_TIMEOUT_MS;
  /** A panel watches this tab (or may: the answer is on its way): breakpoints are handed to the hook. */
  private watched = false;
  /** The rules handed to the hook hold frames (an enabled breakpoint among them). */
  private holding = false;
  /** Notices dropped as not about anything this relay saw (for tests; never shown). */
  droppedNotices = 0;

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
    this.stored = Array.isArray(value.rules) ? (value.rules as InterceptRule[]).filter((rule) => typeof rule === 'object' && rule !== null) : [];
    this.holdTimeoutMs = Number(value.holdTimeoutMs) > 0 ? Number(value.holdTimeoutMs) : DEFAULT_HOLD_TIMEOUT_MS;
    this.giveRules();
  }

  /** Whether any rule for this frame's origin is an enabled breakpoint (worth asking whether a panel watches). */
  get breakpointsApply(): boolean {
    return rulesForOrigin(this.stored, this.deps.origin).some((rule) => rule.enabled && rule.action === 'breakpoint');
  }

  /**
   * A panel started or stopped watching the tab. Without one, breakpoints are taken from the hook and every frame
   * it holds is forwarded, as a debugger drops its breakpoints when DevTools closes.
   */
  setWatched(watched: boolean): void {
    if (watched === this.watched) return;
    this.watched = watched;
    this.giveRules();
    if (!watched) for (const holdId of this.knownHolds.keys()) this.release(holdId);
  }

  /** Hands the hook the rules for this frame: its origin's, and breakpoints only while watched. */
  private giveRules(): void {
    const rules = rulesForOrigin(this.stored, this.deps.origin).filter((rule) => this.watched || rule.action !== 'breakpoint');
    if (rules.length === 0 && !this.rulesGiven) return; // the hook starts with none: nothing to tell it
    this.rulesGiven = rules.length > 0;
    const compiled = compileRules(rules);
    this.holding = compiled.some(({ rule }) => rule.action === 'breakpoint');
    // Compiled here, in the isolated world, where no page code can interfere; RegExps survive the clone.
    this.deps.postToPage({ ns: NAMESPACE, type: 'command', requestId: '', command: { kind: 'set-rules', rules: compiled, holdTimeoutMs: this.holdTimeoutMs } });
  }

  /** Forwards a held frame unchanged (its answer, requestId '', is for nobody). */
  private release(holdId: string): void {
    this.deps.postToPage({ ns: NAMESPACE, type: 'command', requestId: '', command: { kind: 'release', holdId, action: 'forward' } });
  }

  /** A notice from the hook, for the background: a held frame's payload is encoded for the port first. */
  async forwardNotice(notice: PageNotice): Promise<void> {
    if (typeof notice !== 'object' || notice === null) return;
    if (notice.kind === 'held') {
      const { holdId, connectionId, dir, rule, time } = notice as Partial<Extract<PageNotice, { kind: 'held' }>>;
      const data: unknown = notice.data;
      const wellFormed = typeof holdId === 'string' && holdId.length > 0 && typeof connectionId === 'string' && DIRECTIONS.has(dir as string) &&
        typeof rule === 'string' && typeof time === 'number' && (typeof data === 'string' || data instanceof ArrayBuffer || data instanceof Blob);
      if (!wellFormed || !this.knownConnections.has(connectionId) || this.knownHolds.has(holdId)) return this.drop();
      if (!this.holding) {
        // Held just before breakpoints were taken away (the notice crossed our set-rules): let it go.
        this.release(holdId);
        return this.drop();
      }
      this.knownHolds.set(holdId, connectionId);
      const bytes = typeof data === 'string' || data instanceof ArrayBuffer ? data : await (data as Blob).arrayBuffer();
      this.deps.send(message({ type: 'page-notice', notice: { kind: 'held', holdId, connectionId, dir: dir!, rule, time, data: encodePayload(bytes) } }));
      return;
    }
    if (notice.kind === 'released') {
      if (this.knownHolds.get(notice.holdId) !== notice.connectionId) return this.drop();
      this.knownHolds.delete(notice.holdId);
    } else if (notice.kind === 'replay-progress') {
      if (!this.knownReplays.has(notice.replayId)) return this.drop();
      if (typeof notice.connectionId === 'string') this.knownConnections.add(notice.connectionId);
    } else return this.drop();
    this.deps.send(message({ type: 'page-notice', notice }));
  }

  private drop(): void {
    this.droppedNotices++;
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
          // Filtered and compiled as stored rules are: scoped to this frame's origin, breakpoints only if watched.
          this.applyRules({ rules: command.rules, holdTimeoutMs: command.holdTimeoutMs });
          if (requestId) this.deps.send(message({ type: 'command-result', requestId, ok: true }));
          return;
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
