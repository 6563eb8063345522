import './runes';
import { describe, expect, it } from 'vitest';
import { ViewState } from '@/lib/panel/view-state.svelte';
import type { FrameRecord } from '@/lib/shared/records';
import { connect, frame, freshDb, memorySettings, store } from './fixtures';

/** Rows at 1000, 1010, …, 1090 (a) and 5000, 5010, …, 5090 (b): two bursts 4 s apart. */
async function bursts() {
  const db = await freshDb();
  const rows = [...Array.from({ length: 10 }, (_, i) => ({ ...frame('a', i + 1), time: 1000 + i * 10 })), ...Array.from({ length: 10 }, (_, i) => ({ ...frame('b', i + 1), time: 5000 + i * 10 }))];
  await store(db, 's', [connect('a'), connect('b'), ...rows]);
  return db;
}

const at = async (view: ViewState, time: number) => {
  const i = await view.positionAtTime(time);
  const [row] = await view.rowsAt(i, 1);
  return `${i}:${(row as FrameRecord | undefined)?.time}`;
};

describe('ViewState.positionAtTime (the timeline click)', () => {
  it('finds the row nearest in time, before or after, at the ends too', async () => {
    const view = new ViewState(memorySettings());
    await view.rebuild(await bursts(), { sessionId: 's', connectionId: null }, null);
    expect(view.shown).toBe(20);
    expect(await at(view, 1000)).toBe('0:1000');
    expect(await at(view, 1034)).toBe('3:1030');
    expect(await at(view, 1036)).toBe('4:1040');
    expect(await at(view, 0)).toBe('0:1000');
    expect(await at(view, 2900)).toBe('9:1090'); // the gap's first half: the end of the first burst
    expect(await at(view, 3200)).toBe('10:5000'); // its second half: the start of the second
    expect(await at(view, 99_999)).toBe('19:5090');
  });

  it('counts positions in the view shown (one connection, or a filter)', async () => {
    const db = await bursts();
    const view = new ViewState(memorySettings());
    await view.rebuild(db, { sessionId: 's', connectionId: 'b' }, null);
    expect(await at(view, 5051)).toBe('5:5050');
    await view.rebuild(db, { sessionId: 's', connectionId: null }, (row) => row.time >= 1050);
    expect(await at(view, 1000)).toBe('0:1050');
    await view.rebuild(db, null, null);
    expect(await view.positionAtTime(1000)).toBe(-1);
  });
});
