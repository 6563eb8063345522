import { describe, expect, it } from 'vitest';
import { PanelPorts } from '@/lib/worker/panel-ports';
import { PausedTabs } from '@/lib/worker/paused-tabs';
import { NAMESPACE, type BackgroundToPanelMessage } from '@/lib/shared/protocol';
import type { Port } from '@/lib/shared/transport';

function panel(throws = false) {
  const heard: BackgroundToPanelMessage[] = [];
  const port: Port<BackgroundToPanelMessage> = {
    send: (m) => {
      if (throws) throw new Error('closed');
      heard.push(m);
    },
    listen: () => () => undefined,
    disconnect: () => undefined,
  };
  return { port, heard };
}
const note = { ns: NAMESPACE, type: 'cleared', scope: 'all' } as const;

describe('PanelPorts', () => {
  it('reaches a tab\'s panels or all of them; a closed panel does not stop the others hearing', () => {
    const panels = new PanelPorts();
    const [closed, five, six] = [panel(true), panel(), panel()];
    panels.add(5, closed.port);
    panels.add(5, five.port);
    panels.add(6, six.port);
    panels.toTab(5, note);
    expect([five.heard.length, six.heard.length]).toEqual([1, 0]);
    panels.toAll(note);
    expect([five.heard.length, six.heard.length]).toEqual([2, 1]);
    panels.remove(5, five.port);
    panels.toTab(5, note);
    expect(five.heard).toHaveLength(2);
  });
});

describe('PausedTabs', () => {
  it('starts from the stored list, and saves every change', async () => {
    const saved: number[][] = [];
    const paused = new PausedTabs({ loadPaused: async () => [3], savePaused: async (ids) => void saved.push(ids), log: () => undefined });
    await paused.loaded;
    expect(paused.has(3)).toBe(true);
    await paused.set(4, true);
    await paused.set(3, false);
    expect(saved).toEqual([[3, 4], [4]]);
    expect([paused.has(3), paused.has(4)]).toEqual([false, true]);
  });

  it('a list that cannot be read means none paused, and is logged', async () => {
    const errors: unknown[] = [];
    const paused = new PausedTabs({ loadPaused: () => Promise.reject(new Error('no storage')), savePaused: async () => undefined, log: (e) => errors.push(e) });
    await paused.loaded;
    expect(paused.has(1)).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
