import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listConnections,
  newSession,
  openFrameStore,
  writeEvents,
  type FrameRecord,
  type InspectorDatabase,
} from '../../lib/frame-store';
import type { WireEvent } from '../../lib/protocol';
import { exportSession, importFile, writeImportedSession, type ExportScope, type ImportSource } from '../../lib/session-io';
import { readSessionText } from '../../lib/formats/detect';
import { bytesToBase64 } from '../../lib/wire';

let db: InspectorDatabase;
let dbCount = 0;

beforeEach(async () => {
  db = await openFrameStore(`session-io-test-${++dbCount}`);
});
afterEach(() => db.close());

const T0 = 1795629600123.4567;
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const loneSurrogate = 'a\ud800b';

function source(name: string, text: string): ImportSource {
  return { name, size: Buffer.byteLength(text), text: async () => text };
}

/** A captured session with every kind of row and awkward payloads. */
async function seedCaptured(): Promise<{ sessionId: string; a: string; b: string }> {
  const sessionId = 'captured-1';
  await db.put('sessions', newSession({ id: sessionId, tabId: 7, pageUrl: 'https://app.test/page', title: 'App', startedAt: T0 }));
  const a = 'conn-a';
  const b = 'conn-b';
  const frame = (connectionId: string, seq: number, dt: number, dir: 'send' | 'receive', data: string | Uint8Array, extra: Partial<Extract<WireEvent, { k: 'frame' }>> = {}): WireEvent => {
    const text = typeof data === 'string';
    return {
      k: 'frame', connectionId, seq, time: T0 + dt, dir, opcode: text ? 1 : 2, encoding: text ? 'text' : 'base64',
      payload: text ? data : bytesToBase64(data), size: text ? Buffer.byteLength(data) : data.length, origin: 'page', status: 'sent', ...extra,
    } as WireEvent;
  };
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

async function snapshot() {
  return { sessions: await db.getAll('sessions'), connections: await db.getAll('connections'), frames: await db.getAll('frames') };
}

function withoutIds(rows: FrameRecord[]) {
  return rows.map(({ sessionId: _s, connectionId: _c, ...rest }) => rest);
}

async function framesOf(sessionId: string, connectionId: string) {
  return db.getAll('frames', IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, Infinity]));
}

describe('export → import round trip', () => {
  it('.wsi.json keeps every byte, timestamp, close code and connection field', async () => {
    const { sessionId, a, b } = await seedCaptured();
    const exported = await exportSession(db, { kind: 'session', sessionId }, 'wsi', { chunkRows: 3 });
    expect(exported.fileName).toMatch(/^app\.test-.*\.wsi\.json$/);
    expect(exported.rows).toBe(16);
    const text = await exported.blob.text();
    const result = await importFile(db, source(exported.fileName, text));
    expect(result.rows).toBe(16);

    const session = (await db.get('sessions', result.sessionId))!;
    const original = (await db.get('sessions', sessionId))!;
    expect(session).toEqual({ ...original, id: result.sessionId, tabId: null, source: 'imported', importedFrom: exported.fileName });

    const before = await listConnections(db, sessionId);
    const after = await listConnections(db, result.sessionId);
    expect(after.map(({ id: _i, sessionId: _s, ...rest }) => rest)).toEqual(before.map(({ id: _i, sessionId: _s, ...rest }) => rest));
    expect(after.every((c) => c.sessionId === result.sessionId && ![a, b].includes(c.id))).toBe(true);

    for (let i = 0; i < before.length; i++) {
      const original = await framesOf(sessionId, before[i].id);
      const imported = await framesOf(result.sessionId, after[i].id);
      expect(withoutIds(imported)).toEqual(withoutIds(original));
    }
    const binary = (await framesOf(result.sessionId, after[0].id)).find((f) => f.seq === 3)!;
    expect(new Uint8Array(binary.data as ArrayBuffer)).toEqual(allBytes);
    expect((await framesOf(result.sessionId, after[0].id)).find((f) => f.seq === 6)!.data).toBe(loneSurrogate);
    expect((await framesOf(result.sessionId, after[0].id)).find((f) => f.seq === 2)!.time).toBe(T0 + 2.000001);
  });

  it('importing the same file twice gives two sessions and touches nothing else', async () => {
    const { sessionId } = await seedCaptured();
    const text = await (await exportSession(db, { kind: 'session', sessionId }, 'wsi')).blob.text();
    const first = await importFile(db, source('x.wsi.json', text));
    const second = await importFile(db, source('x.wsi.json', text));
    expect(first.sessionId).not.toBe(second.sessionId);
    expect(new Set([...first.connectionIds, ...second.connectionIds]).size).toBe(4);
    const s = await snapshot();
    expect(s.sessions).toHaveLength(3);
    expect(s.frames).toHaveLength(48);
  });

  it('HAR keeps the frames that crossed the network, with times to the microsecond and the close code', async () => {
    const { sessionId } = await seedCaptured();
    const exported = await exportSession(db, { kind: 'session', sessionId }, 'har');
    const text = await exported.blob.text();
    const har = JSON.parse(text);
    const entry = har.log.entries[0];
    expect(entry._resourceType).toBe('websocket');
    expect(entry.request.method).toBe('GET');
    expect(entry.response.status).toBe(101);
    expect(entry._webSocketMessages[0]).toEqual({ type: 'send', time: (T0 + 2.000001) / 1000, opcode: 1, data: '{"hello":"wörld ✓ 😀"}' });
    expect(entry._webSocketMessages[1]).toEqual({ type: 'receive', time: (T0 + 3.5) / 1000, opcode: 2, data: bytesToBase64(allBytes) });
    // Simulated and refused frames never crossed the network: HAR leaves them out.
    expect(entry._webSocketMessages.map((m: { data: string }) => m.data)).not.toContain('fake push');
    expect(entry._webSocketMessages.map((m: { data: string }) => m.data)).not.toContain('too late');

    const result = await importFile(db, source(exported.fileName, text));
    const [ia] = await listConnections(db, result.sessionId);
    expect(ia.protocols).toEqual(['v2', 'v1']);
    expect([ia.closeCode, ia.closeReason, ia.wasClean]).toEqual([4001, 'bye ✓', false]);
    const rows = await framesOf(result.sessionId, ia.id);
    expect(rows.map((r) => r.kind)).toEqual(['open', 'frame', 'frame', 'frame', 'frame', 'frame', 'close']);
    expect(rows.at(-1)).toMatchObject({ code: 4001, reason: 'bye ✓', wasClean: false });
    const original = (await framesOf(sessionId, 'conn-a')).filter((f) => f.kind === 'frame' && f.origin !== 'simulated' && f.status === 'sent');
    const imported = rows.filter((r) => r.kind === 'frame');
    expect(imported.map((r) => [r.dir, r.opcode, r.data, r.size])).toEqual(original.map((r) => [r.dir, r.opcode, r.data, r.size]));
    imported.forEach((r, i) => expect(Math.abs(r.time - original[i].time)).toBeLessThan(0.001));
    // A blocked send never left the page; a blocked receive did come from the server.
    expect(har.log.entries[1]._webSocketMessages.map((m: { data: string }) => m.data)).toEqual(['b-one', 'b-two', 'edited', 'kept from the page']);
  });

  it('exports one connection, a selection and a filtered view', async () => {
    const { sessionId, a, b } = await seedCaptured();
    const read = async (scope: ExportScope) => readSessionText(await (await exportSession(db, scope, 'wsi', { chunkRows: 2 })).blob.text());

    const one = await read({ kind: 'connection', sessionId, connectionId: b });
    expect(one.connections.map((c) => c.url)).toEqual(['ws://127.0.0.1:1/other']);
    expect(one.connections[0].rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);

    const selection = await read({ kind: 'selection', sessionId, keys: [{ connectionId: b, seq: 3 }, { connectionId: a, seq: 3 }, { connectionId: a, seq: 10 }] });
    expect(selection.connections.map((c) => [c.url, c.rows.map((r) => r.seq)])).toEqual([
      ['wss://app.test/live?x=1', [3, 10]],
      ['ws://127.0.0.1:1/other', [3]],
    ]);

    const filtered = await read({ kind: 'filtered', sessionId, predicate: (row) => row.kind === 'frame' && row.dir === 'send' && typeof row.data === 'string' });
    expect(filtered.connections.flatMap((c) => c.rows.map((r) => r.data))).toEqual(['{"hello":"wörld ✓ 😀"}', loneSurrogate, 'too late', 'b-two', 'edited', 'kept back']);
  });

  it('reports progress and yields between chunks', async () => {
    const { sessionId } = await seedCaptured();
    const progress: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await exportSession(db, { kind: 'session', sessionId }, 'wsi', { chunkRows: 2, onProgress: (n) => progress.push(n) });
    clearInterval(timer);
    expect(progress.at(-1)).toBe(16);
    expect(progress.length).toBeGreaterThan(5);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('Chrome HAR import', () => {
  it('stores the hand-written Chrome HAR as an imported session', async () => {
    const text = readFileSync(new URL('../fixtures/chrome-websocket.har', import.meta.url), 'utf8');
    const result = await importFile(db, source('chrome-websocket.har', text));
    expect(result.format).toBe('har');
    const session = (await db.get('sessions', result.sessionId))!;
    expect(session).toMatchObject({ source: 'imported', tabId: null, importedFrom: 'chrome-websocket.har', pageUrl: 'https://chat.example.test/room/42', connectionCount: 2, frameCount: 6 });
    const [chat, metrics] = await listConnections(db, result.sessionId);
    expect(chat).toMatchObject({ url: 'wss://chat.example.test/socket?room=42', protocol: 'chat.v2', sentCount: 3, receivedCount: 2, lastSeq: 5 });
    expect(metrics.url).toBe('wss://metrics.example.test/live');
    const rows = await framesOf(result.sessionId, chat.id);
    // The row counts the panel reads instead of counting (lib/frame-query.ts): exact.
    const allRows = await db.countFromIndex('frames', 'bySessionTime', IDBKeyRange.bound([result.sessionId, -Infinity], [result.sessionId, Infinity]));
    expect(session.rowCount).toBe(allRows);
    expect(chat.rowCount).toBe(rows.length);
    expect(new Uint8Array(rows[2].data as ArrayBuffer)).toEqual(Uint8Array.from([0, 1, 2, 253, 254, 255]));
    expect(new Uint8Array(rows[4].data as ArrayBuffer)).toEqual(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
  });
});

describe('bad input leaves the store as it was', () => {
  const good = () => JSON.parse(readFileSync(new URL('../fixtures/chrome-websocket.har', import.meta.url), 'utf8'));
  const cases: Array<[string, () => ImportSource, RegExp | string]> = [
    ['a truncated file', () => { const t = JSON.stringify(good()); return source('cut.har', t.slice(0, t.length / 2)); }, /^cut\.har: the file is truncated: the JSON ends before it is complete \(at line 1, column \d+\)$/],
    ['invalid JSON', () => source('bad.har', '{"log": {"entries": [}}'), "bad.har: invalid JSON at line 1, column 22: unexpected '}'"],
    ['a HAR without WebSocket entries', () => { const h = good(); h.log.entries.splice(2); return source('plain.har', JSON.stringify(h)); }, 'plain.har: log.entries: none of the 2 entries is a WebSocket connection (no entry has "_resourceType": "websocket" or "_webSocketMessages")'],
    ['a message with a missing field', () => { const h = good(); delete h.log.entries[3]._webSocketMessages[0].opcode; return source('m.har', JSON.stringify(h)); }, "m.har: log.entries[3]._webSocketMessages[0]: missing 'opcode'"],
    ['a wrong format version', () => source('v9.wsi.json', JSON.stringify({ format: 'websocket-inspector', version: 9, session: {}, connections: [] })), 'v9.wsi.json: version: version 9 is not supported; this build reads version 1'],
    ['a file over the size limit', () => ({ name: 'huge.har', size: 200 * 1024 * 1024, text: async () => { throw new Error('must not be read'); } }), 'huge.har: the file is 200 MB; the largest file Import reads is 100 MB'],
  ];
  for (const [what, file, message] of cases) {
    it(`refuses ${what} with a message naming the problem`, async () => {
      await seedCaptured();
      const before = await snapshot();
      const error = await importFile(db, file(), { maxBytes: 100 * 1024 * 1024 }).then(() => null, (e: Error) => e);
      expect(error?.name).toBe('ImportError');
      if (typeof message === 'string') expect(error!.message).toBe(message);
      else expect(error!.message).toMatch(message);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('removes everything it wrote when storing fails halfway', async () => {
    await seedCaptured();
    const before = await snapshot();
    const portable = readSessionText(readFileSync(new URL('../fixtures/chrome-websocket.har', import.meta.url), 'utf8'));
    let chunks = 0;
    const error = await writeImportedSession(db, portable, 'f.har', {
      chunkRows: 2,
      onProgress: () => {
        if (++chunks === 2) throw new Error('disk full');
      },
    }).then(() => null, (e: Error) => e);
    expect(error?.message).toBe('f.har: could not store the import (disk full); nothing was kept');
    expect(await snapshot()).toEqual(before);
  });
});

describe('docs/wsi.schema.json', () => {
  it('accepts what export writes and rejects a frame without a payload', async () => {
    // ajv 6 (draft-07) comes with eslint; the schema is written to draft-07 so it can be checked here.
    const { default: Ajv } = (await import('ajv')) as unknown as { default: new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } } };
    const schema = JSON.parse(readFileSync(new URL('../../docs/wsi.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const { sessionId } = await seedCaptured();
    const file = JSON.parse(await (await exportSession(db, { kind: 'session', sessionId }, 'wsi')).blob.text());
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    delete file.connections[0].rows[2].data;
    expect(validate(file)).toBe(false);
  });
});
