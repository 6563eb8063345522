/**
 * Which of the panel's dialogs is open (Rules, Replay, Settings): one at a time, so any control (a toolbar button,
 * a row's context menu) can open one with what it needs, and the dialog host shows it. Focus handling stays with
 * the host component, which knows the elements.
 */

export type DialogName = 'rules' | 'replay' | 'settings';

/** Where a replay opened from a row's context menu starts: that row's connection, from that frame on. */
export interface ReplayStart {
  connectionId: string;
  seq: number;
}

export class DialogsState {
  open = $state<DialogName | null>(null);
  /** Set with `show('replay', { replayFrom })`; cleared when another dialog opens or the dialog closes. */
  replayFrom = $state<ReplayStart | null>(null);

  show(which: DialogName, options: { replayFrom?: ReplayStart } = {}): void {
    this.replayFrom = which === 'replay' ? (options.replayFrom ?? null) : null;
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
  }
}
