/**
 * The message marked for a diff (row menu: "Mark for compare", then "Compare with marked" on another row). One
 * per panel page, as resend-request.svelte.ts; a mark belongs to its session, so switching sessions does not offer
 * to compare with a row of another one.
 */
import type { FrameRecord } from '../shared/records';
import type { RowKey } from './dialogs-state.svelte';

export interface MarkedRow extends RowKey {
  sessionId: string;
}

export class CompareMark {
  marked = $state<MarkedRow | null>(null);

  mark(row: Pick<FrameRecord, 'sessionId' | 'connectionId' | 'seq'>): void {
    this.marked = { sessionId: row.sessionId, connectionId: row.connectionId, seq: row.seq };
  }

  clear(): void {
    this.marked = null;
  }

  /** The mark, if it is in `sessionId`. */
  markedIn(sessionId: string | null): MarkedRow | null {
    return this.marked && this.marked.sessionId === sessionId ? this.marked : null;
  }

  isMarked(row: Pick<FrameRecord, 'sessionId' | 'connectionId' | 'seq'>): boolean {
    const m = this.marked;
    return m !== null && m.sessionId === row.sessionId && m.connectionId === row.connectionId && m.seq === row.seq;
  }
}

export const compareMark = new CompareMark();
