/**
 * "Go to response" / "Go to request": selects a row's partner in its pair (the Latency cell, the detail pane); from
 * a stream's later item, the request that opened the stream.
 * The partner is found by (connection, seq) in the view on screen, filtered or not; when the filter hides it, the
 * status line says so instead of changing the filter under the user.
 */
import type { FrameRecord } from '../shared/records';
import type { PanelState } from './panel-state.svelte';

export async function goToPartner(panel: PanelState, row: FrameRecord): Promise<boolean> {
  const pair = panel.conversation.pairOf(row);
  if (!pair) return false;
  const other = pair.role === 'request' ? 'response' : 'request';
  const index = await panel.view.positionOfKey(row.connectionId, pair.partnerSeq);
  if (index < 0) {
    panel.notice = `The ${other} (#${pair.partnerSeq}) is not in the view: the filter hides it.`;
    return false;
  }
  panel.view.setFollow(false);
  await panel.view.select(index, { open: true });
  return true;
}
