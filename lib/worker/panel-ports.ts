/**
 * The panels connected to the background (DevTools panels and panel tabs), keyed by the tab each one inspects.
 * Every send is guarded: a panel may close at any moment, and one closed panel must not stop the others hearing.
 */
import type { BackgroundToPanelMessage } from '../shared/protocol';
import type { Port } from '../shared/transport';

export type PanelPort = Port<BackgroundToPanelMessage>;

/** What the capture side tells panels: the one way it reaches them. */
export interface PanelNotices {
  /** Sends to every panel of the tab. */
  toTab(tabId: number, msg: BackgroundToPanelMessage): void;
  /** Sends to every panel. */
  toAll(msg: BackgroundToPanelMessage): void;
}

export class PanelPorts implements PanelNotices {
  private readonly byTab = new Map<number, Set<PanelPort>>();

  /** Adds a panel of the tab; true when it is the tab's first (the tab is watched from now on). */
  add(tabId: number, port: PanelPort): boolean {
    const set = this.byTab.get(tabId) ?? new Set();
    const first = set.size === 0;
    set.add(port);
    this.byTab.set(tabId, set);
    return first;
  }

  /** Removes a panel of the tab; true when it was the tab's last (no panel watches the tab any more). */
  remove(tabId: number, port: PanelPort): boolean {
    const set = this.byTab.get(tabId);
    if (!set?.delete(port)) return false;
    if (set.size > 0) return false;
    this.byTab.delete(tabId);
    return true;
  }

  /** Whether a panel watches the tab. */
  watches(tabId: number): boolean {
    return (this.byTab.get(tabId)?.size ?? 0) > 0;
  }

  /** The tabs some panel watches. */
  watchedTabs(): number[] {
    return [...this.byTab.keys()];
  }

  toTab(tabId: number, msg: BackgroundToPanelMessage): void {
    const set = this.byTab.get(tabId);
    if (set) for (const panel of set) sendToPanel(panel, msg);
  }

  toAll(msg: BackgroundToPanelMessage): void {
    for (const set of this.byTab.values()) for (const panel of set) sendToPanel(panel, msg);
  }
}

/** Sends to one panel; a closed one is skipped. */
export function sendToPanel(port: PanelPort, msg: BackgroundToPanelMessage): void {
  try {
    port.send(msg);
  } catch {
    // the panel closed
  }
}
