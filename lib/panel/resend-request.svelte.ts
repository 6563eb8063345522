/**
 * "Edit & resend" asked for from the grid's row menu: the menu selects the row and opens the detail pane, which
 * opens its resend editor when it shows the row asked for. One per panel page (one panel per page). Its natural
 * home is the view slice (view-state.svelte.ts), next to `detailOpen`.
 */
import type { FrameRecord } from '../shared/records';

const keyOf = (row: Pick<FrameRecord, 'connectionId' | 'seq'>): string => `${row.connectionId}#${row.seq}`;

class ResendRequest {
  /** The row whose editor should open (connectionId#seq), or null. */
  key = $state<string | null>(null);

  ask(row: Pick<FrameRecord, 'connectionId' | 'seq'>): void {
    this.key = keyOf(row);
  }

  /** True (once) when `row` is the row asked for. */
  take(row: Pick<FrameRecord, 'connectionId' | 'seq'>): boolean {
    if (this.key !== keyOf(row)) return false;
    this.key = null;
    return true;
  }
}

export const resendRequest = new ResendRequest();
