/**
 * Search over every stored session (the side bar's search box): the text, the hits found so far, and whether
 * a search is still running. A new search aborts the one before it. Opening a hit is the root's job (it changes
 * the session, the filter and the view).
 */
import { compileFilter, emptyFilter } from '../shared/filters';
import { searchAllSessions, type SearchHit } from '../store/frame-query';
import type { InspectorDatabase } from '../store/frame-store';

export class SearchState {
  text = $state('');
  hits = $state.raw<SearchHit[]>([]);
  searching = $state(false);

  private readonly db: () => InspectorDatabase | undefined;
  private abort: AbortController | undefined;

  constructor(db: () => InspectorDatabase | undefined) {
    this.db = db;
  }

  async search(text: string): Promise<void> {
    this.abort?.abort();
    this.text = text;
    this.hits = [];
    const db = this.db();
    if (text.trim() === '' || !db) {
      this.searching = false;
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.searching = true;
    const { matches } = compileFilter({ ...emptyFilter(), contains: text });
    try {
      const hits = await searchAllSessions(db, matches!, text, {
        signal: abort.signal,
        onProgress: (found) => {
          if (!abort.signal.aborted) this.hits = [...found];
        },
      });
      if (!abort.signal.aborted) this.hits = hits;
    } finally {
      if (!abort.signal.aborted) this.searching = false;
    }
  }

  /** Stops a running search (the panel is closing). */
  cancel(): void {
    this.abort?.abort();
  }
}
