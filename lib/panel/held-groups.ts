/**
 * Frames held at a breakpoint, grouped per socket and direction: the page lets each group through one frame at a
 * time (later frames wait behind the held one), so the panel shows and releases them group by group, in order.
 */
import type { EncodedPayload } from '../shared/protocol';

export interface HeldFrame {
  holdId: string;
  connectionId: string;
  dir: 'send' | 'receive';
  data: EncodedPayload;
  rule: string;
  time: number;
}

/** The held frames of one socket and direction, oldest first. */
export interface HeldGroup {
  key: string;
  connectionId: string;
  dir: 'send' | 'receive';
  frames: HeldFrame[];
}

export const groupKey = (connectionId: string, dir: 'send' | 'receive'): string => `${connectionId}\u0000${dir}`;

/** Held frames per socket and direction, each group in the order held, groups in the order of their oldest frame. */
export function heldGroups(held: readonly HeldFrame[]): HeldGroup[] {
  const groups = new Map<string, HeldGroup>();
  for (const hold of [...held].sort((a, b) => a.time - b.time)) {
    const key = groupKey(hold.connectionId, hold.dir);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, connectionId: hold.connectionId, dir: hold.dir, frames: [] }));
    group.frames.push(hold);
  }
  return [...groups.values()];
}
