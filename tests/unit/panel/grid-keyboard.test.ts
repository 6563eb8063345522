import { describe, expect, it } from 'vitest';
import { applyGridKey, emptyGridText } from '../../../lib/panel/grid-keyboard';
import type { ViewState } from '../../../lib/panel/view-state.svelte';

/** A view that records what the grid's keys asked of it. */
function recordingView(detailOpen = false) {
  const calls: string[] = [];
  const view = {
    detailOpen,
    moveSelection: async (delta: number) => void calls.push(`move ${delta}`),
    select: async (index: number) => void calls.push(`select ${index}`),
    setFollow: (follow: boolean) => void calls.push(`follow ${follow}`),
    openDetails: () => void calls.push('open'),
    closeDetails: () => void calls.push('close'),
  };
  return { view: view as unknown as ViewState, calls };
}

describe('the grid keys', () => {
  it('move, page, go to the ends (End follows the tail again), open and close the details', () => {
    const { view, calls } = recordingView(true);
    for (const key of ['ArrowDown', 'ArrowUp', 'PageDown', 'PageUp', 'Home', 'End', 'Enter', 'Escape']) {
      expect(applyGridKey(view, key, false, 13, 40)).toBe('handled');
    }
    expect(calls).toEqual(['move 1', 'move -1', 'move 13', 'move -13', 'follow false', 'select 0', 'select 39', 'follow true', 'open', 'close']);
  });

  it('the context-menu key and Shift+F10 open the row menu; F10 alone, letters and Escape with nothing open are left alone', () => {
    const { view, calls } = recordingView(false);
    expect(applyGridKey(view, 'ContextMenu', false, 1, 5)).toBe('menu');
    expect(applyGridKey(view, 'F10', true, 1, 5)).toBe('menu');
    expect(applyGridKey(view, 'F10', false, 1, 5)).toBe('none');
    expect(applyGridKey(view, 'a', false, 1, 5)).toBe('none');
    expect(applyGridKey(view, 'Escape', false, 1, 5)).toBe('none');
    expect(calls).toEqual([]);
  });
});

describe('the empty grid says why', () => {
  const base = { sessionId: 's1', pageSessionId: 's1', connections: 0, scanning: false, total: 0 };
  it('no session, searching, filtered out, no socket yet, no message yet', () => {
    expect(emptyGridText({ ...base, sessionId: null })).toMatch(/^No session yet/);
    expect(emptyGridText({ ...base, scanning: true })).toBe('Searching…');
    expect(emptyGridText({ ...base, total: 3 })).toBe('No messages match the filter.');
    expect(emptyGridText(base)).toBe('This page has not opened a WebSocket yet.');
    expect(emptyGridText({ ...base, connections: 1 })).toBe('No messages yet.');
    expect(emptyGridText({ ...base, pageSessionId: 'other' })).toBe('No messages yet.');
  });
});
