/**
 * The filter on the rows shown: the frame filter (text, regex, direction, types), the kinds of messages the user
 * hid ("Hide messages like this", lib/panel/message-kind.ts), the decoded-fields query ANDed with them, and the
 * user's saved filters (kept in settings). A change calls `changed` (the root rebuilds the view, keeping the
 * selected row if it still matches).
 *
 * The conversation filters (#13: "Unanswered requests", "Slower than N ms", "Hide heartbeats") read what the
 * conversation slice found (`options.conversation`); they are ANDed like the rest, and last while the panel is open.
 *
 * Hidden kinds last while the panel is open, across the sessions shown in it, and are not stored: hiding is a
 * declutter for the task at hand, and a kind hidden for good would silently drop messages from a later session.
 */
import type { DecodeOutcome } from '../decoders';
import type { FrameRecord } from '../shared/records';
import { messageKind, type MessageKind } from './message-kind';
import { compileFilter, emptyFilter, isEmptyFilter, parseSavedFilters, upsertSavedFilter, type FrameFilter, type RowMatcher, type SavedFilter } from '../shared/filters';
import { SAVED_FILTERS_KEY, type PanelSettings } from './panel-settings';

/** A span of wall-clock time, epoch ms, both ends included. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The rows every matcher given keeps (null: no matcher, all rows). */
function allOf(matchers: Array<RowMatcher | null>): RowMatcher | null {
  const active = matchers.filter((m): m is RowMatcher => m !== null);
  if (active.length === 0) return null;
  if (active.length === 1) return active[0];
  return (row) => active.every((m) => m(row));
}

export interface FiltersOptions {
  settings: PanelSettings;
  /** The filter changed: show what it matches. */
  changed(): Promise<void>;
  /** A short announcement for the status line. */
  notify(notice: string): void;
  /**
   * A row's decoded form (the panel's decoders), so a hidden kind can be a decoded message type; without it kinds
   * are JSON shapes and opcodes only.
   */
  decoded?(row: FrameRecord): DecodeOutcome | undefined;
  /** What the conversation slice knows of a row (pairs, latency, heartbeats), for the conversation filters. */
  conversation?: ConversationFacts;
}

/** The part of the conversation slice (conversation-state.svelte.ts) the filters read. */
export interface ConversationFacts {
  pairOf(row: FrameRecord): { latencyMs: number } | undefined;
  isUnanswered(row: FrameRecord): boolean;
  isHeartbeat(row: FrameRecord): boolean;
}

export class FiltersState {
  filter = $state<FrameFilter>(emptyFilter());
  /** Why the regex does not compile, as of the last `compile`. */
  regexError = $state<string | undefined>(undefined);
  /** The decoded-fields filter (lib/decoders/filter.ts syntax), ANDed with `filter`. */
  decodedQuery = $state('');
  savedFilters = $state.raw<SavedFilter[]>([]);
  /** Kinds of messages hidden from the grid ("Hide messages like this"). */
  hiddenKinds = $state.raw<MessageKind[]>([]);
  /** Rows from `from` to `to` (epoch ms, inclusive) only, as picked on the timeline; null: any time. */
  timeRange = $state.raw<TimeRange | null>(null);
  /** Only requests that got no answer. */
  unansweredOnly = $state(false);
  /** Only both rows of pairs slower than this, ms (null: any). */
  slowerThanMs = $state<number | null>(null);
  /** Rows the conversation found to be heartbeats are left out. */
  hideHeartbeats = $state(false);

  private readonly options: FiltersOptions;

  constructor(options: FiltersOptions) {
    this.options = options;
  }

  /** The frame filter's matcher (null: it matches everything); notes why its regex does not compile. */
  compile(): RowMatcher | null {
    const compiled = compileFilter(this.filter);
    this.regexError = compiled.regexError;
    const frames = compiled.matches && !isEmptyFilter(this.filter) ? compiled.matches : null;
    return allOf([frames, this.hiddenMatcher(), this.timeMatcher(), this.conversationMatcher()]);
  }

  /** A conversation filter is on: the view must be scanned again when the conversation learns more. */
  get usesConversation(): boolean {
    return this.unansweredOnly || this.slowerThanMs !== null || this.hideHeartbeats;
  }

  async setUnansweredOnly(on: boolean): Promise<void> {
    if (on === this.unansweredOnly) return;
    this.unansweredOnly = on;
    await this.options.changed();
  }

  /** Shows only pairs slower than `ms` (null, negative or not a number: any latency). */
  async setSlowerThan(ms: number | null): Promise<void> {
    const next = ms !== null && Number.isFinite(ms) && ms >= 0 ? ms : null;
    if (next === this.slowerThanMs) return;
    this.slowerThanMs = next;
    await this.options.changed();
  }

  async setHideHeartbeats(on: boolean): Promise<void> {
    if (on === this.hideHeartbeats) return;
    this.hideHeartbeats = on;
    await this.options.changed();
  }

  private conversationMatcher(): RowMatcher | null {
    const facts = this.options.conversation;
    if (!facts || !this.usesConversation) return null;
    const { unansweredOnly, slowerThanMs, hideHeartbeats } = this;
    return (row) => {
      if (hideHeartbeats && facts.isHeartbeat(row)) return false;
      if (unansweredOnly && !facts.isUnanswered(row)) return false;
      if (slowerThanMs !== null) {
        const pair = facts.pairOf(row);
        if (!pair || pair.latencyMs <= slowerThanMs) return false;
      }
      return true;
    };
  }

  /** Shows only rows in `range` (null: any time), e.g. what was dragged across on the timeline. */
  async setTimeRange(range: TimeRange | null): Promise<void> {
    const next = range && Number.isFinite(range.from) && Number.isFinite(range.to) ? { from: Math.min(range.from, range.to), to: Math.max(range.from, range.to) } : null;
    if (next?.from === this.timeRange?.from && next?.to === this.timeRange?.to) return;
    this.timeRange = next;
    await this.options.changed();
  }

  private timeMatcher(): RowMatcher | null {
    const range = this.timeRange;
    if (!range) return null;
    return (row) => row.time >= range.from && row.time <= range.to;
  }

  /** The kind of a message row as hiding compares it (decoded type when the panel's decoders give one). */
  kindOf(row: FrameRecord): MessageKind | undefined {
    return messageKind(row, this.decodedOf(row));
  }

  /** The row's decoded form as kinds see it (undefined when the panel gave no decoder), for "Break on … like this". */
  decodedOf(row: FrameRecord): DecodeOutcome | undefined {
    return this.options.decoded?.(row);
  }

  /** Hides every message of `kind` (the grid's "Hide messages like this"). */
  async hideKind(kind: MessageKind): Promise<void> {
    if (this.hiddenKinds.some((k) => k.key === kind.key)) return;
    this.hiddenKinds = [...this.hiddenKinds, { key: kind.key, label: kind.label }];
    await this.options.changed();
  }

  /** Shows the messages of one hidden kind again (all of them without a key). */
  async showKind(key?: string): Promise<void> {
    const rest = key === undefined ? [] : this.hiddenKinds.filter((k) => k.key !== key);
    if (rest.length === this.hiddenKinds.length) return;
    this.hiddenKinds = rest;
    await this.options.changed();
  }

  /** Rows not of a hidden kind (null: nothing hidden). Control rows have no kind and stay. */
  private hiddenMatcher(): RowMatcher | null {
    if (this.hiddenKinds.length === 0) return null;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup table for one matcher, not shown
    const keys = new Set(this.hiddenKinds.map((k) => k.key));
    return (row) => {
      if (row.kind !== 'frame') return true;
      const kind = this.kindOf(row);
      return kind === undefined || !keys.has(kind.key);
    };
  }

  async setFilter(patch: Partial<FrameFilter>): Promise<void> {
    this.filter = { ...this.filter, ...patch, types: { ...this.filter.types, ...(patch.types ?? {}) } };
    await this.options.changed();
  }

  async setDecodedQuery(query: string): Promise<void> {
    if (query === this.decodedQuery) return;
    this.decodedQuery = query;
    await this.options.changed();
  }

  async clearTextFilter(): Promise<void> {
    if (this.filter.contains === '' && this.filter.regex === '') return;
    await this.setFilter({ contains: '', regex: '' });
  }

  async resetFilter(): Promise<void> {
    this.filter = emptyFilter();
    this.decodedQuery = '';
    this.timeRange = null;
    this.unansweredOnly = false;
    this.slowerThanMs = null;
    this.hideHeartbeats = false;
    await this.options.changed();
  }

  /** Drops the frame filter without rebuilding (the caller shows a new view next). */
  clearFrameFilter(): void {
    this.filter = emptyFilter();
  }

  async saveFilter(name: string): Promise<void> {
    this.savedFilters = upsertSavedFilter(this.savedFilters, name, $state.snapshot(this.filter));
    await this.options.settings.write(SAVED_FILTERS_KEY, $state.snapshot(this.savedFilters));
    this.options.notify(`Saved filter "${name.trim()}".`);
  }

  async deleteSavedFilter(name: string): Promise<void> {
    this.savedFilters = this.savedFilters.filter((s) => s.name !== name);
    await this.options.settings.write(SAVED_FILTERS_KEY, $state.snapshot(this.savedFilters));
  }

  async applySavedFilter(name: string): Promise<void> {
    const saved = this.savedFilters.find((s) => s.name === name);
    if (!saved) return;
    this.filter = { ...saved.filter, types: { ...saved.filter.types } };
    await this.options.changed();
  }

  /** Reads the saved filters (unreadable settings: none). */
  async load(): Promise<void> {
    try {
      this.savedFilters = parseSavedFilters(await this.options.settings.read(SAVED_FILTERS_KEY));
    } catch {
      // unreadable settings: start with defaults
    }
  }
}
