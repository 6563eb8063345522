/**
 * The filter on the rows shown: the frame filter (text, regex, direction, types), the decoded-fields query ANDed
 * with it, and the user's saved filters (kept in settings). A change calls `changed` (the root rebuilds the view,
 * keeping the selected row if it still matches).
 */
import { compileFilter, emptyFilter, isEmptyFilter, parseSavedFilters, upsertSavedFilter, type FrameFilter, type RowMatcher, type SavedFilter } from '../shared/filters';
import { SAVED_FILTERS_KEY, type PanelSettings } from './panel-settings';

export interface FiltersOptions {
  settings: PanelSettings;
  /** The filter changed: show what it matches. */
  changed(): Promise<void>;
  /** A short announcement for the status line. */
  notify(notice: string): void;
}

export class FiltersState {
  filter = $state<FrameFilter>(emptyFilter());
  /** Why the regex does not compile, as of the last `compile`. */
  regexError = $state<string | undefined>(undefined);
  /** The decoded-fields filter (lib/decoders/filter.ts syntax), ANDed with `filter`. */
  decodedQuery = $state('');
  savedFilters = $state.raw<SavedFilter[]>([]);

  private readonly options: FiltersOptions;

  constructor(options: FiltersOptions) {
    this.options = options;
  }

  /** The frame filter's matcher (null: it matches everything); notes why its regex does not compile. */
  compile(): RowMatcher | null {
    const compiled = compileFilter(this.filter);
    this.regexError = compiled.regexError;
    return compiled.matches && !isEmptyFilter(this.filter) ? compiled.matches : null;
  }

  async setFilter(patch: Partial<FrameFilter>): Promise<void> {
    this.filter = { ...this.filter, ...patch, types: { ...this.filter.types, ...(patch.types ?? {}) } };
    await this.options.changed();
  }

  async setDecodedQuery(query: string): Promise<void> {
    if (query === this.decodedQuery) return;
    this.decodedQuery = query;
    await this.options.changed();
  }

  async clearTextFilter(): Promise<void> {
    if (this.filter.contains === '' && this.filter.regex === '') return;
    await this.setFilter({ contains: '', regex: '' });
  }

  async resetFilter(): Promise<void> {
    this.filter = emptyFilter();
    this.decodedQuery = '';
    await this.options.changed();
  }

  /** Drops the frame filter without rebuilding (the caller shows a new view next). */
  clearFrameFilter(): void {
    this.filter = emptyFilter();
  }

  async saveFilter(name: string): Promise<void> {
    this.savedFilters = upsertSavedFilter(this.savedFilters, name, $state.snapshot(this.filter));
    await this.options.settings.write(SAVED_FILTERS_KEY, $state.snapshot(this.savedFilters));
    this.options.notify(`Saved filter "${name.trim()}".`);
  }

  async deleteSavedFilter(name: string): Promise<void> {
    this.savedFilters = this.savedFilters.filter((s) => s.name !== name);
    await this.options.settings.write(SAVED_FILTERS_KEY, $state.snapshot(this.savedFilters));
  }

  async applySavedFilter(name: string): Promise<void> {
    const saved = this.savedFilters.find((s) => s.name === name);
    if (!saved) return;
    this.filter = { ...saved.filter, types: { ...saved.filter.types } };
    await this.options.changed();
  }

  /** Reads the saved filters (unreadable settings: none). */
  async load(): Promise<void> {
    try {
      this.savedFilters = parseSavedFilters(await this.options.settings.read(SAVED_FILTERS_KEY));
    } catch {
      // unreadable settings: start with defaults
    }
  }
}
