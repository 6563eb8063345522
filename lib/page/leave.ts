/**
 * The last words before a page goes: on `pagehide` (navigation, tab closed, entering the back/forward cache) and
 * `freeze`, everything queued (the batch and every piece of a large text) goes to the relay synchronously (the last
 * hand-over: batch.ts, hand-over.ts), and so does what the page records until `pageshow` or `resume` says it is
 * back (a send in the page's own pagehide listener). A message on the private port would not do: it is delivered as
 * a task, and measured, a navigating document is gone before that task runs (only what was posted earlier arrived).
 *
 * The listeners are capture-phase listeners on the window, added with the saved natives at document_start, before
 * the relay's and the page's: no page API lists them, and they change nothing the page can observe (none of these
 * events is cancelable, and such listeners keep a page eligible for the back/forward cache). `freeze` and `resume`
 * are fired at the document and reach the window's capture listeners on their way. The page's own (untrusted)
 * events change no mode: they only post what is queued on the port, as any flush would.
 */
import type { LeaveReason } from '../shared/protocol';
import type { Batch } from './batch';
import { eventIsTrusted, type Natives } from './natives';

export function leaveHandlers(natives: Natives, batch: Batch): void {
  const { apply, win, addEventListener } = natives;
  const leaving = (reason: LeaveReason) => (event: Event): void => {
    try {
      if (eventIsTrusted(event)) batch.leave(reason);
      else batch.flushAll();
    } catch {
      // never throw into the page's unload
    }
  };
  const back = (event: Event): void => {
    if (eventIsTrusted(event)) batch.back();
  };
  apply(addEventListener, win, ['pagehide', leaving('pagehide'), true]);
  apply(addEventListener, win, ['freeze', leaving('freeze'), true]);
  apply(addEventListener, win, ['pageshow', back, true]);
  apply(addEventListener, win, ['resume', back, true]);
}
