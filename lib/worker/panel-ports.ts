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

  add(tabId: number, port: PanelPort): void {
    const set = this.byTab.get(tabId) ?? new Set();
    set.add(port);
    this.byTab.set(tabId, set);
  }

  remove(tabId: number, port: PanelPort): void {
    this.byTab.get(tabId)?.delete(port);
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
