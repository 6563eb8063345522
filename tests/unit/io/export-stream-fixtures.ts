// What the streamed export tests share (tests/unit/io/export-byte-stream.test.ts, tests/unit/worker/export-stream-*.test.ts):
// an extension origin, a fixed clock, stream helpers, and a fresh database per test with one session to export.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach } from 'vitest';
import { newSession, openFrameStore, writeEvents, type InspectorDatabase } from '@/lib/store/frame-store';
import type { WireEvent } from '@/lib/shared/protocol';
import { bytesToBase64 } from '@/lib/shared/wire';

export const ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
export const NOW = new Date('2026-11-25T12:00:00.000Z');
export const T0 = 1795629600123.4567;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
  }
  return new Uint8Array(Buffer.concat(parts));
}

export async function* strings(values: string[], failAfter?: number): AsyncGenerator<string, { rows: number }, undefined> {
  let i = 0;
  for (const value of values) {
    if (failAfter !== undefined && i === failAfter) throw new Error('the store went away');
    i++;
    yield value;
  }
  return { rows: values.length };
}

/**
 * The database of the test running now: opened fresh before each test and closed after it by the hooks
 * useExportStreamDatabase() registers. Imported as a live binding, so `db` is always the current test's.
 */
export let db: InspectorDatabase;
let dbCount = 0;

/** Registers, in the calling test file, the hooks that give each test a fresh `db`. */
export function useExportStreamDatabase(): void {
  beforeEach(async () => {
    db = await openFrameStore(`export-stream-test-${++dbCount}`);
  });
  afterEach(() => db.close());
}

export async function seed(rows: number): Promise<string> {
  const sessionId = 's1';
  await db.put('sessions', newSession({ id: sessionId, tabId: 3, pageUrl: 'https://app.test/ü', title: 'App', startedAt: T0 }));
  const events: WireEvent[] = [
    { k: 'connect', connectionId: 'a', url: 'wss://app.test/live', protocols: ['v1'], frameUrl: 'https://app.test/', time: T0 },
    { k: 'open', connectionId: 'a', seq: 1, time: T0 + 1, protocol: 'v1', extensions: '' },
  ];
  for (let seq = 2; seq < rows + 2; seq++) {
    const text = seq % 3 !== 0;
    const data = text ? (seq % 5 ? `{"n":${seq},"s":"wörld ✓ 😀"}` : 'a\ud800b') : bytesToBase64(Uint8Array.from([seq & 255, 0, 255]));
    events.push({ k: 'frame', connectionId: 'a', seq, time: T0 + seq + 0.001, dir: seq % 2 ? 'send' : 'receive', opcode: text ? 1 : 2, encoding: text ? 'text' : 'base64', payload: data, size: 3, origin: 'page', status: 'sent' } as WireEvent);
  }
  events.push({ k: 'close', connectionId: 'a', seq: rows + 2, time: T0 + rows + 3, code: 4001, reason: 'bye ✓', wasClean: true });
  await writeEvents(db, sessionId, 'https://app.test/', events);
  return sessionId;
}
