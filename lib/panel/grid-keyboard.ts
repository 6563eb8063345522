/**
 * The message grid's keys (as DevTools' own grids): arrows and pages move the selection, Home/End go to the first
 * and last row (End follows the tail again), Enter opens the details, Escape closes them, and the context-menu key
 * or Shift+F10 opens the row menu. Also the text the grid shows when it has no rows.
 */
import type { ViewState } from './view-state.svelte';

/** What a key does to the grid; 'menu' opens the row menu, 'none' leaves the key to the browser. */
export type GridKeyAction = 'menu' | 'handled' | 'none';

/**
 * Applies `key` (with Shift as given) to the view: `page` rows per PageUp/PageDown, `total` rows shown.
 * Returns 'none' for keys the grid does not take (the caller then lets the event go on).
 */
export function applyGridKey(view: ViewState, key: string, shiftKey: boolean, page: number, total: number): GridKeyAction {
  if (key === 'ContextMenu' || (key === 'F10' && shiftKey)) return 'menu';
  switch (key) {
    case 'ArrowDown':
      void view.moveSelection(1);
      return 'handled';
    case 'ArrowUp':
      void view.moveSelection(-1);
      return 'handled';
    case 'PageDown':
      void view.moveSelection(page);
      return 'handled';
    case 'PageUp':
      void view.moveSelection(-page);
      return 'handled';
    case 'Home':
      view.setFollow(false);
      void view.select(0);
      return 'handled';
    case 'End':
      void view.select(total - 1);
      view.setFollow(true);
      return 'handled';
    case 'Enter':
      view.openDetails();
      return 'handled';
    case 'Escape':
      if (!view.detailOpen) return 'none'; // Escape with nothing open belongs to whatever is around the grid
      view.closeDetails();
      return 'handled';
    default:
      return 'none';
  }
}

/** Why the grid is empty, in the user's words. */
export function emptyGridText(state: {
  sessionId: string | null;
  pageSessionId: string | null;
  connections: number;
  scanning: boolean;
  /** Rows in the session before filters. */
  total: number;
}): string {
  if (state.sessionId === null) return 'No session yet: reload the inspected page to capture its WebSockets.';
  if (state.scanning) return 'Searching…';
  if (state.total > 0) return 'No messages match the filter.';
  if (state.connections === 0 && state.sessionId === state.pageSessionId) return 'This page has not opened a WebSocket yet.';
  return 'No messages yet.';
}
