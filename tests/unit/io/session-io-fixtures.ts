// What the session import/export tests share (tests/unit/io/session-io-*.test.ts): a fresh database per test, awkward
// payloads, and a captured session with every kind of row.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach } from 'vitest';
import { newSession, openFrameStore, writeEvents, type InspectorDatabase } from '@/lib/store/frame-store';
import type { WireEvent } from '@/lib/shared/protocol';
import type { ImportSource } from '@/lib/io/session-io';
import { bytesToBase64 } from '@/lib/shared/wire';

/**
 * The database of the test running now: opened fresh before each test and closed after it by the hooks
 * useSessionIoDatabase() registers. Imported as a live binding, so `db` is always the current test's.
 */
export let db: InspectorDatabase;
let dbCount = 0;

/** Registers, in the calling test file, the hooks that give each test a fresh `db`. */
export function useSessionIoDatabase(): void {
  beforeEach(async () => {
    db = await openFrameStore(`session-io-test-${++dbCount}`);
  });
  afterEach(() => db.close());
}

export const T0 = 1795629600123.4567;
export const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
export const loneSurrogate = 'a\ud800b';

export function source(name: string, text: string): ImportSource {
  return { name, size: Buffer.byteLength(text), text: async () => text };
}

export function frame(connectionId: string, seq: number, dt: number, dir: 'send' | 'receive', data: string | Uint8Array, extra: Partial<Extract<WireEvent, { k: 'frame' }>> = {}): WireEvent {
  const text = typeof data === 'string';
  return {
    k: 'frame', connectionId, seq, time: T0 + dt, dir, opcode: text ? 1 : 2, encoding: text ? 'text' : 'base64',
    payload: text ? data : bytesToBase64(data), size: text ? Buffer.byteLength(data) : data.length, origin: 'page', status: 'sent', ...extra,
  } as WireEvent;
}

/** A captured session with every kind of row and awkward payloads. */
export async function seedCaptured(): Promise<{ sessionId: string; a: string; b: string }> {
  const sessionId = 'captured-1';
  await db.put('sessions', newSession({ id: sessionId, tabId: 7, pageUrl: 'https://app.test/page', title: 'App', startedAt: T0 }));
  const a = 'conn-a';
  const b = 'conn-b';
  const events: WireEvent[] = [
    { k: 'connect', connectionId: a, url: 'wss://app.test/live?x=1', protocols: ['v2', 'v1'], frameUrl: 'https://app.test/frame', time: T0 },
    { k: 'open', connectionId: a, seq: 1, time: T0 + 1.25, protocol: 'v2', extensions: 'permessage-deflate' },
    frame(a, 2, 2.000001, 'send', '{"hello":"wörld ✓ 😀"}'),
    frame(a, 3, 3.5, 'receive', allBytes),
    frame(a, 4, 4.75, 'receive', ''),
    frame(a, 5, 5.125, 'send', new Uint8Array(0)),
    frame(a, 6, 6, 'send', loneSurrogate, { origin: 'inspector' }),
    frame(a, 7, 7, 'receive', 'fake push', { origin: 'simulated' }),
    frame(a, 8, 8, 'send', 'too late', { status: 'refused', note: "Failed to execute 'send': Still in CONNECTING state." }),
    { k: 'error', connectionId: a, seq: 9, time: T0 + 9 },
    { k: 'close', connectionId: a, seq: 10, time: T0 + 10.5, code: 4001, reason: 'bye ✓', wasClean: false },
    { k: 'connect', connectionId: b, url: 'ws://127.0.0.1:1/other', protocols: [], frameUrl: 'https://app.test/page', time: T0 + 20, initiator: 'replay' },
    { k: 'open', connectionId: b, seq: 1, time: T0 + 21, protocol: '', extensions: '' },
    frame(b, 2, 22, 'receive', 'b-one'),
    frame(b, 3, 23, 'send', 'b-two'),
    // Rules at work: an edited frame keeps what it was before; blocked frames never went through.
    frame(b, 4, 24, 'send', 'edited', { rule: 'rewrite ✓', original: { encoding: 'base64', payload: bytesToBase64(Uint8Array.from([9, 8, 7])) } }),
    frame(b, 5, 25, 'send', 'kept back', { status: 'blocked', rule: 'no secrets' }),
    frame(b, 6, 26, 'receive', 'kept from the page', { status: 'blocked', rule: 'quiet', original: { encoding: 'text', payload: 'before' } }),
  ];
  await writeEvents(db, sessionId, 'https://app.test/page', events);
  return { sessionId, a, b };
}

export async function snapshot() {
  return { sessions: await db.getAll('sessions'), connections: await db.getAll('connections'), chunks: await db.getAll('chunks') };
}
