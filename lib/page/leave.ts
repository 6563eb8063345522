/**
 * The last words before a page goes: on `pagehide` (navigation, tab closed, entering the back/forward cache) and
 * `freeze`, the pending batch and every queued piece of a large text are posted at once, synchronously, so that
 * everything the page saw before it went reaches the relay. The listeners are capture-phase listeners on the
 * window, added with the saved natives: no page API lists them, and they change nothing the page can observe
 * (neither event is cancelable, and pagehide/freeze listeners keep a page eligible for the back/forward cache).
 * `freeze` is fired at the document and reaches the window's capture listeners on its way.
 */
import type { Batch } from './batch';
import type { Natives } from './natives';

export function leaveHandlers(natives: Natives, batch: Batch): void {
  const { apply, win, addEventListener } = natives;
  const flushAll = (): void => {
    try {
      batch.flushAll();
    } catch {
      // never throw into the page's unload
    }
  };
  apply(addEventListener, win, ['pagehide', flushAll, true]);
  apply(addEventListener, win, ['freeze', flushAll, true]);
}
