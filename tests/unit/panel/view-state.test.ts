import './runes';
import { describe, expect, it } from 'vitest';
import { ViewState } from '@/lib/panel/view-state.svelte';
import { PREFERENCES_KEY } from '@/lib/panel/panel-settings';
import { writeEvents } from '@/lib/store/frame-store';
import type { FrameRecord } from '@/lib/shared/records';
import { connect, frame, freshDb, memorySettings, store } from './fixtures';

const seqs = (rows: FrameRecord[]) => rows.map((r) => `${r.connectionId}${r.seq}`);
const even = (row: FrameRecord) => (row.seq ?? 0) % 2 === 0;

async function seeded(frames = 10) {
  const db = await freshDb();
  await store(db, 's', [connect('a'), connect('b'), ...Array.from({ length: frames }, (_, i) => frame(i % 2 ? 'b' : 'a', i + 1))]);
  return db;
}

describe('ViewState', () => {
  it('shows a session’s rows, all connections or one, and pages through them', async () => {
    const db = await seeded();
    const view = new ViewState(memorySettings());
    const version = view.dataVersion;
    await view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    expect([view.total, view.shown, view.scanning]).toEqual([10, 10, false]);
    expect(view.dataVersion).toBeGreaterThan(version);
    expect(seqs(await view.rowsAt(0, 3))).toEqual(['a1', 'b2', 'a3']);
    await view.rebuild(db, { sessionId: 's', connectionId: 'b' }, null);
    expect(view.total).toBe(5);
    expect(seqs(await view.rowsAt(3, 10))).toEqual(['b8', 'b10']);
    await view.rebuild(db, null, null);
    expect([view.total, view.shown]).toEqual([0, 0]);
    expect(await view.rowsAt(0, 5)).toEqual([]);
  });

  it('scans a filtered view to the end and shows only the matches', async () => {
    const db = await seeded();
    const view = new ViewState(memorySettings());
    await view.rebuild(db, { sessionId: 's', connectionId: null }, even);
    expect([view.total, view.shown, view.scanned, view.scanning]).toEqual([10, 5, 10, false]);
    expect(seqs(await view.rowsAt(0, 10))).toEqual(['b2', 'b4', 'b6', 'b8', 'b10']);
  });

  it('sees new rows on refresh, in a plain and a filtered view', async () => {
    const db = await seeded(4);
    const view = new ViewState(memorySettings());
    await view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    await writeEvents(db, 's', 'https://x/', [frame('a', 5), frame('b', 6)]);
    const version = view.dataVersion;
    await view.refresh(view.token);
    expect([view.total, view.shown]).toEqual([6, 6]);
    expect(view.dataVersion).toBeGreaterThan(version);
    // Nothing new: nothing to re-read.
    const unchanged = view.dataVersion;
    await view.refresh(view.token);
    expect(view.dataVersion).toBe(unchanged);

    await view.rebuild(db, { sessionId: 's', connectionId: null }, even);
    expect(view.shown).toBe(3);
    await writeEvents(db, 's', 'https://x/', [frame('a', 7), frame('b', 8)]);
    await view.refresh(view.token);
    expect([view.total, view.shown]).toEqual([8, 4]);
  });

  it('drops work for a view that was replaced', async () => {
    const db = await seeded(4);
    const view = new ViewState(memorySettings());
    const older = view.rebuild(db, { sessionId: 's', connectionId: 'a' }, null);
    const newer = view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    await Promise.all([older, newer]);
    expect(view.total).toBe(4);
    const token = view.token;
    view.cancel();
    expect(view.isCurrent(token)).toBe(false);
    await writeEvents(db, 's', 'https://x/', [frame('a', 5)]);
    await view.refresh(token);
    expect(view.total).toBe(4);
  });

  it('selects rows (clamped), reads the selected record, and moves with the keyboard', async () => {
    const db = await seeded();
    const view = new ViewState(memorySettings());
    await view.select(3);
    expect(view.selectedIndex).toBe(-1); // nothing shown yet
    await view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    await view.select(99, { open: true });
    expect(view.selectedIndex).toBe(9);
    expect(view.selected?.seq).toBe(10);
    expect(view.detailOpen).toBe(true);
    expect(view.scrollRequest?.index).toBe(9);
    view.closeDetails();
    expect(view.detailOpen).toBe(false);
    view.openDetails();
    expect(view.detailOpen).toBe(true);
    await view.moveSelection(-2);
    expect(view.selected?.seq).toBe(8);
    expect(view.follow).toBe(false);
    // Without a selection, down starts at the first row and up at the last.
    view.clearSelection();
    view.setFollow(true);
    await view.moveSelection(1);
    expect(view.selectedIndex).toBe(0);
    view.clearSelection();
    await view.moveSelection(-1);
    expect(view.selectedIndex).toBe(9);
    // A repeated request for the same row is a new request.
    const before = view.scrollRequest!.version;
    await view.select(9);
    expect(view.scrollRequest).toEqual({ index: 9, version: before + 1 });
  });

  it('keeps the selected row selected across a rebuild that still shows it', async () => {
    const db = await seeded();
    const view = new ViewState(memorySettings());
    await view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    await view.select(3); // b4
    await view.rebuild(db, { sessionId: 's', connectionId: null }, even, true);
    expect(view.selectedIndex).toBe(1);
    expect(view.selected?.seq).toBe(4);
    expect(view.follow).toBe(false);
    await view.rebuild(db, { sessionId: 's', connectionId: 'a' }, null, true);
    expect(view.selectedIndex).toBe(-1);
    expect(view.selected).toBeNull();
    await view.select(0);
    await view.rebuild(db, { sessionId: 's', connectionId: 'a' }, null);
    expect(view.selected).toBeNull();
  });

  it('reveals a row: selects it and opens its details', async () => {
    const db = await seeded();
    const view = new ViewState(memorySettings());
    await view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    const [row] = await view.rowsAt(6, 1);
    await view.reveal(row);
    expect(view.selectedIndex).toBe(6);
    expect(view.detailOpen).toBe(true);
    expect(view.follow).toBe(false);
  });

  it('resets to following the newest row with nothing selected', async () => {
    const db = await seeded();
    const view = new ViewState(memorySettings());
    await view.rebuild(db, { sessionId: 's', connectionId: null }, null);
    await view.moveSelection(-1);
    view.reset();
    expect([view.selectedIndex, view.selected, view.follow]).toEqual([-1, null, true]);
  });

  it('keeps the time mode in settings', async () => {
    const settings = memorySettings();
    const view = new ViewState(settings);
    await view.loadPreferences();
    expect(view.timeMode).toBe('absolute');
    view.setTimeMode('relative');
    await Promise.resolve();
    expect(settings.values.get(PREFERENCES_KEY)).toEqual({ timeMode: 'relative', absoluteMode: 'absolute' });
    const later = new ViewState(settings);
    await later.loadPreferences();
    expect(later.timeMode).toBe('relative');
    settings.values.set(PREFERENCES_KEY, { timeMode: 'sideways' });
    const odd = new ViewState(settings);
    await odd.loadPreferences();
    expect(odd.timeMode).toBe('absolute');
  });
});
