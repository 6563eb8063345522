/**
 * Which of the panel's dialogs is open (Rules, Replay, Settings, Stats, Diff, Copy as code): one at a time, so any
 * control (a toolbar button, a row's or a connection's menu) can open one with what it needs, and the dialog host
 * (ActControls.svelte) shows it. Focus handling stays with the host component, which knows the elements.
 *
 *   dialogs.show('replay', { replayFrom: { connectionId, seq } })
 *   dialogs.show('diff', { diff: { left: { connectionId, seq }, right: { connectionId, seq } } })
 *   dialogs.show('code', { code: { connectionId } })                        // the connection's sent frames
 *   dialogs.show('code', { code: { connectionId, fromSeq, toSeq } })        // the sent frames of a range
 *   dialogs.show('code', { code: { connectionId, fromSeq: s, toSeq: s, single: true } })  // one message
 *   dialogs.show('stats', { stats: { connectionId } })                      // null: the whole session
 *
 * Each payload is cleared when another dialog opens or the dialog closes.
 */

export type DialogName = 'rules' | 'replay' | 'settings' | 'stats' | 'diff' | 'code';

/** Where a replay opened from a row's context menu starts: that row's connection, from that frame on. */
export interface ReplayStart {
  connectionId: string;
  seq: number;
}

/** A stored row, by its connection and seq (the session is the one on screen). */
export interface RowKey {
  connectionId: string;
  seq: number;
}

/** The two messages a diff compares: left is the earlier pick (the marked one), right the other. */
export interface DiffRequest {
  left: RowKey;
  right: RowKey;
}

/**
 * What "Copy as code" copies: a connection's frames the page sent (no range), those with seq in
 * [fromSeq, toSeq], or (`single`) the one message at fromSeq whatever its direction.
 */
export interface CodeRequest {
  connectionId: string;
  fromSeq?: number;
  toSeq?: number;
  single?: boolean;
}

/** Whose figures the stats dialog shows: a connection's, or (null) the session's. */
export interface StatsRequest {
  connectionId: string | null;
}

export interface DialogOptions {
  replayFrom?: ReplayStart;
  diff?: DiffRequest;
  code?: CodeRequest;
  stats?: StatsRequest;
}

export class DialogsState {
  open = $state<DialogName | null>(null);
  /** Set with `show('replay', { replayFrom })`. */
  replayFrom = $state<ReplayStart | null>(null);
  /** Set with `show('diff', { diff })`. */
  diff = $state<DiffRequest | null>(null);
  /** Set with `show('code', { code })`. */
  code = $state<CodeRequest | null>(null);
  /** Set with `show('stats', { stats })`; stats opened without one show the session. */
  stats = $state<StatsRequest | null>(null);

  show(which: DialogName, options: DialogOptions = {}): void {
    this.replayFrom = which === 'replay' ? (options.replayFrom ?? null) : null;
    this.diff = which === 'diff' ? (options.diff ?? null) : null;
    this.code = which === 'code' ? (options.code ?? null) : null;
    this.stats = which === 'stats' ? (options.stats ?? { connectionId: null }) : null;
    this.open = which;
  }

  /** Opens `which`, or closes it when it is the one open. */
  toggle(which: DialogName): void {
    if (this.open === which) this.close();
    else this.show(which);
  }

  close(): void {
    this.open = null;
    this.replayFrom = null;
    this.diff = null;
    this.code = null;
    this.stats = null;
  }
}
