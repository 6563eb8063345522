/**
 * The panel's "act on live traffic" slice: intercept rules (global, kept by the background), frames held at a
 * breakpoint, replays in progress, and the outcome of the last command. The root forwards the background's
 * `page-notice` and `rules` messages here from its one message switch; commands go out through the background
 * link (page commands resolve by requestId there).
 */
import type { EncodedPayload, ReplayStep, ReplayWaitForReply, WireNotice } from '../shared/protocol';
import { message } from '../shared/protocol';
import { DEFAULT_HOLD_TIMEOUT_MS, validateRule, type InterceptRule } from '../shared/intercept-rules';
import { randomId } from '../shared/random-id';
import type { BackgroundLink, CommandOutcome } from './link-state.svelte';
import { groupKey, heldGroups, type HeldFrame } from './held-groups';

export { heldGroups, type HeldFrame, type HeldGroup } from './held-groups';

/** What acting needs of the background link: page commands, and messages to the background. */
export type ActLink = Pick<BackgroundLink, 'command' | 'post'>;


export type ReplayState = 'starting' | 'connecting' | 'running' | 'waiting' | 'done' | 'failed' | 'stopped';

export interface ReplayRun {
  replayId: string;
  url: string;
  total: number;
  sent: number;
  state: ReplayState;
  connectionId?: string;
  error?: string;
}

/** The name of the rule behind the "Pause all" toggle. */
export const PAUSE_ALL_RULE_NAME = 'Pause all';
const PAUSE_ALL_ID = 'pause-all';

export function newRule(fields: Partial<InterceptRule> = {}): InterceptRule {
  return {
    id: randomId(),
    name: 'New rule',
    enabled: true,
    action: 'breakpoint',
    direction: 'both',
    urlPattern: '',
    pattern: '',
    regex: false,
    replacement: '',
    ...fields,
  };
}

export class ActState {
  rules = $state.raw<InterceptRule[]>([]);
  holdTimeoutMs = $state(DEFAULT_HOLD_TIMEOUT_MS);
  /** The background has told us its rules at least once. */
  rulesKnown = $state(false);
  held = $state.raw<HeldFrame[]>([]);
  replays = $state.raw<ReplayRun[]>([]);
  /** Last problem saving rules or acting on a hold, shown in the rules and held-frames views. */
  rulesError = $state('');
  holdError = $state('');

  readonly link: ActLink;

  /**
   * "Forward all" / "Drop all" in progress, per socket and direction. The page keeps the frames that wait behind
   * a held one to itself and lets them through when it is released, where a breakpoint may hold the next one
   * again at once: a frame held on a draining group no later (page clock) than `until` is one of those, and gets
   * the same action. `until` moves on with each release the page confirms.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  private readonly draining = new Map<string, { action: 'forward' | 'drop'; until: number; keep: Set<string> }>();
  /** "Pause all" was turned off and the person did not ask to keep what it held: stale holds by it go through. */
  private resumed = false;
  /** Holds being released now (so a drain never releases one twice). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  private readonly releasing = new Set<string>();

  constructor(link: ActLink) {
    this.link = link;
  }

  get pauseAll(): boolean {
    return this.rules.some((r) => r.id === PAUSE_ALL_ID && r.enabled);
  }

  /** The background link is (re)established: ask for the rules. */
  onConnected(): void {
    this.link.post(message({ type: 'get-rules' }));
  }

  onRules(rules: InterceptRule[], holdTimeoutMs: number): void {
    this.rules = Array.isArray(rules) ? rules : [];
    this.holdTimeoutMs = holdTimeoutMs > 0 ? holdTimeoutMs : DEFAULT_HOLD_TIMEOUT_MS;
    this.rulesKnown = true;
  }

  onNotice(notice: WireNotice): void {
    switch (notice.kind) {
      case 'held':
        if (this.held.some((h) => h.holdId === notice.holdId)) return;
        this.held = [...this.held, { holdId: notice.holdId, connectionId: notice.connectionId, dir: notice.dir, data: notice.data, rule: notice.rule, time: notice.time }];
        this.followUp(this.held[this.held.length - 1]);
        return;
      case 'released':
        this.held = this.held.filter((h) => h.holdId !== notice.holdId);
        return;
      case 'replay-progress': {
        const known = this.replays.some((r) => r.replayId === notice.replayId);
        const update = (r: ReplayRun): ReplayRun =>
          r.replayId === notice.replayId
            ? { ...r, sent: notice.sent, total: notice.total, state: notice.state, connectionId: notice.connectionId ?? r.connectionId, error: notice.error }
            : r;
        if (known) this.replays = this.replays.map(update);
        return;
      }
    }
  }

  /** The page went away (new session): its holds went with it. */
  forgetHolds(): void {
    this.held = [];
    this.draining.clear();
  }

  /** A frame just held: part of a "Forward/Drop all" still draining, or held by a "Pause all" already turned off. */
  private followUp(hold: HeldFrame): void {
    const drain = this.draining.get(groupKey(hold.connectionId, hold.dir));
    if (drain && hold.time <= drain.until && !drain.keep.has(hold.holdId)) void this.releaseGroupFrame(hold, drain.action);
    else if (this.resumed && hold.rule === PAUSE_ALL_RULE_NAME && !this.pauseAll) void this.release(hold.holdId, 'forward');
  }

  private async releaseGroupFrame(hold: HeldFrame, action: 'forward' | 'drop'): Promise<void> {
    if (this.releasing.has(hold.holdId)) return;
    this.releasing.add(hold.holdId);
    let outcome: CommandOutcome;
    try {
      outcome = await this.release(hold.holdId, action);
    } finally {
      this.releasing.delete(hold.holdId);
    }
    if (!outcome.ok) return;
    const key = groupKey(hold.connectionId, hold.dir);
    const drain = this.draining.get(key);
    if (!drain) return;
    // Released at the latest now: what the page held behind it since then is already held (or is new traffic),
    // and its notice may have come before this answer.
    drain.until = Math.max(drain.until, Date.now());
    for (const next of this.held) {
      if (next !== hold && groupKey(next.connectionId, next.dir) === key && next.time <= drain.until && !drain.keep.has(next.holdId)) void this.releaseGroupFrame(next, drain.action);
    }
  }

  // Rules ----------------------------------------------------------------------------------------------------

  /** Saves the whole rule list (the background persists it and pushes it to every page). */
  saveRules(rules: InterceptRule[], holdTimeoutMs = this.holdTimeoutMs): boolean {
    for (const rule of rules) {
      const problem = validateRule(rule);
      if (problem && rule.enabled) {
        this.rulesError = `Rule "${rule.name}": ${problem}`;
        return false;
      }
    }
    if (!this.link.post(message({ type: 'set-rules', rules, holdTimeoutMs }))) {
      this.rulesError = 'Not connected to the background; the rules were not saved. Try again in a moment.';
      return false;
    }
    this.rulesError = '';
    // Shown at once; the background's echo confirms it.
    this.rules = rules;
    this.holdTimeoutMs = holdTimeoutMs;
    return true;
  }

  upsertRule(rule: InterceptRule): boolean {
    const exists = this.rules.some((r) => r.id === rule.id);
    return this.saveRules(exists ? this.rules.map((r) => (r.id === rule.id ? rule : r)) : [...this.rules, rule]);
  }

  deleteRule(id: string): boolean {
    return this.saveRules(this.rules.filter((r) => r.id !== id));
  }

  setEnabled(id: string, enabled: boolean): boolean {
    return this.saveRules(this.rules.map((r) => (r.id === id ? { ...r, enabled } : r)));
  }

  /**
   * "Pause all": a breakpoint matching every frame both ways, first in the list so it wins. Turning it off lets
   * go of what it holds (as resuming a debugger does), and of what waited behind those, unless `keepHeld`.
   */
  setPauseAll(on: boolean, keepHeld = false): boolean {
    const others = this.rules.filter((r) => r.id !== PAUSE_ALL_ID);
    if (!this.saveRules(on ? [newRule({ id: PAUSE_ALL_ID, name: PAUSE_ALL_RULE_NAME }), ...others] : others)) return false;
    this.resumed = !on && !keepHeld;
    if (this.resumed) {
      const paused = this.held.filter((h) => h.rule === PAUSE_ALL_RULE_NAME);
      for (const group of heldGroups(paused)) void this.releaseGroup(group.connectionId, group.dir, 'forward', paused);
    }
    return true;
  }

  setHoldTimeout(ms: number): boolean {
    if (!(Number.isFinite(ms) && ms >= 100)) {
      this.rulesError = 'The hold timeout must be at least 100 ms.';
      return false;
    }
    return this.saveRules(this.rules, Math.round(ms));
  }

  // Holds ----------------------------------------------------------------------------------------------------

  async release(holdId: string, action: 'forward' | 'drop', data?: EncodedPayload): Promise<CommandOutcome> {
    const result = await this.link.command({ kind: 'release', holdId, action, data });
    if (result.ok) {
      this.holdError = '';
      this.held = this.held.filter((h) => h.holdId !== holdId);
    } else {
      this.holdError = result.error ?? 'The page did not release the frame.';
      // Gone from the page (timed out, page navigated): nothing left to act on.
      if (/not held|no longer|gone|not connected/i.test(this.holdError)) this.held = this.held.filter((h) => h.holdId !== holdId);
    }
    return result;
  }

  /**
   * Forwards (or drops) every frame held on one socket and direction, oldest first, then what the page had
   * queued behind them (the page tells us of those only as each is held in turn).
   */
  async releaseGroup(connectionId: string, dir: 'send' | 'receive', action: 'forward' | 'drop', among: readonly HeldFrame[] = this.held): Promise<void> {
    const key = groupKey(connectionId, dir);
    const frames = among.filter((h) => h.connectionId === connectionId && h.dir === dir).sort((a, b) => a.time - b.time);
    // Frames held already but not asked about (another rule's, when "Pause all" ends) stay held.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
    const keep = new Set(this.held.filter((h) => groupKey(h.connectionId, h.dir) === key && !frames.includes(h)).map((h) => h.holdId));
    this.draining.set(key, { action, until: Date.now(), keep });
    for (const hold of frames) await this.releaseGroupFrame(hold, action);
  }

  /** Forwards (or drops) every held frame, per socket and direction. */
  async releaseAll(action: 'forward' | 'drop'): Promise<void> {
    await Promise.all(heldGroups(this.held).map((g) => this.releaseGroup(g.connectionId, g.dir, action)));
  }

  // Replays --------------------------------------------------------------------------------------------------

  async startReplay(url: string, protocols: string[], steps: ReplayStep<EncodedPayload>[], waitForReply?: ReplayWaitForReply): Promise<CommandOutcome & { replayId: string }> {
    const replayId = randomId();
    this.replays = [...this.replays, { replayId, url, total: steps.length, sent: 0, state: 'starting' }];
    const result = await this.link.command({ kind: 'replay', replayId, url, protocols, steps, waitForReply });
    if (!result.ok) {
      this.replays = this.replays.map((r) => (r.replayId === replayId ? { ...r, state: 'failed', error: result.error ?? 'The replay could not start.' } : r));
    }
    return { ...result, replayId };
  }

  async stopReplay(replayId: string): Promise<CommandOutcome> {
    return this.link.command({ kind: 'replay-stop', replayId });
  }

  replay(replayId: string): ReplayRun | undefined {
    return this.replays.find((r) => r.replayId === replayId);
  }
}
