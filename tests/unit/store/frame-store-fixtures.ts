// What the frame store tests share (tests/unit/store/frame-store-*.test.ts): a fresh database per call, wire events
// with defaults, and a database holding one session.
import 'fake-indexeddb/auto';
import { openFrameStore } from '@/lib/store/schema';
import { ensureSession, newSession } from '@/lib/store/write';
import type { SessionRecord } from '@/lib/shared/records';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';

let counter = 0;
export const freshDb = () => openFrameStore(`frame-store-test-${++counter}`);

export const connect = (id: string, time = 10): WireEvent => ({ k: 'connect', connectionId: id, url: `wss://x.test/${id}`, protocols: ['p'], frameUrl: 'https://x.test/f', time });
export const frame = (id: string, seq: number, fields: Partial<WireFrameEvent> = {}): WireFrameEvent => ({
  k: 'frame', connectionId: id, seq, time: 10 + seq, dir: 'send', opcode: 1, encoding: 'text', payload: `m${seq}`, size: `m${seq}`.length,
  origin: 'page', status: 'sent', ...fields,
});

export async function withSession(id: string, fields: Partial<SessionRecord> = {}) {
  const db = await freshDb();
  await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'https://x.test/', startedAt: 1, ...fields }));
  return db;
}
