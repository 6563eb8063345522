/** Test data for the panel's slices: a fresh fake-indexeddb database with sessions, connections and frames. */
import 'fake-indexeddb/auto';
import { openFrameStore, type InspectorDatabase } from '@/lib/store/frame-store';
import { ensureSession, newSession, writeEvents } from '@/lib/store/frame-store';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';
import type { PanelSettings } from '@/lib/panel/panel-settings';

let dbCounter = 0;
export function freshDb(): Promise<InspectorDatabase> {
  return openFrameStore(`panel-test-${dbCounter++}`);
}

export const connect = (connectionId: string, protocol = ''): WireEvent => ({
  k: 'connect',
  connectionId,
  url: `wss://x/${connectionId}`,
  protocols: protocol ? [protocol] : [],
  frameUrl: '',
  time: 0,
});

export function frame(connectionId: string, seq: number, payload = `m${seq}`): WireFrameEvent {
  return { k: 'frame', connectionId, seq, time: seq, dir: seq % 2 ? 'send' : 'receive', opcode: 1, encoding: 'text', payload, size: payload.length, origin: 'page', status: 'sent' };
}

/** Stores events through the capture writer (the session is made first, for `tabId`). */
export async function store(db: InspectorDatabase, sessionId: string, events: WireEvent[], options: { tabId?: number; startedAt?: number } = {}): Promise<void> {
  await ensureSession(db, newSession({ id: sessionId, pageUrl: 'https://x/', startedAt: options.startedAt ?? 1, tabId: options.tabId ?? null }));
  await writeEvents(db, sessionId, 'https://x/', events);
}

/** Settings in a Map; `failWrites` makes writes report as the database's would. */
export function memorySettings(report: (notice: string) => void = () => undefined): PanelSettings & { values: Map<string, unknown>; failWrites: boolean } {
  const values = new Map<string, unknown>();
  const settings = {
    values,
    failWrites: false,
    read: async (key: string) => values.get(key),
    async write(key: string, value: unknown) {
      if (settings.failWrites) report('Could not save settings: quota');
      else values.set(key, structuredClone(value));
    },
    async remove(key: string) {
      values.delete(key);
    },
  };
  return settings;
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` passes (async stores settle in several steps). */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await tick(5);
  }
}
