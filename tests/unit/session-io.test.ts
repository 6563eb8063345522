import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHUNK_ROWS, MAX_CHUNKS_PER_READ, connectionFrames, connectionReadStep, connectionRowChunks, getRow, listConnections, newSession, openFrameStore, rowsOfChunk, sessionFrames, writeEvents, type InspectorDatabase } from '../../lib/store/frame-store';
import type { FrameRecord } from '../../lib/shared/records';
import type { WireEvent } from '../../lib/shared/protocol';
import {
  exportSession,
  groupConnectionReads,
  importFile,
  mergeByTime,
  writeImportedSession,
  type ExportScope,
  type ImportSource,
} from '../../lib/io/session-io';
import type { PortableRow, PortableSession } from '../../lib/io/formats/model';
import { readSessionText } from '../../lib/io/formats/detect';
import { bytesToBase64 } from '../../lib/shared/wire';

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

function frame(connectionId: string, seq: number, dt: number, dir: 'send' | 'receive', data: string | Uint8Array, extra: Partial<Extract<WireEvent, { k: 'frame' }>> = {}): WireEvent {
  const text = typeof data === 'string';
  return {
    k: 'frame', connectionId, seq, time: T0 + dt, dir, opcode: text ? 1 : 2, encoding: text ? 'text' : 'base64',
    payload: text ? data : bytesToBase64(data), size: text ? Buffer.byteLength(data) : data.length, origin: 'page', status: 'sent', ...extra,
  } as WireEvent;
}

/** A captured session with every kind of row and awkward payloads. */
async function seedCaptured(): Promise<{ sessionId: string; a: string; b: string }> {
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

/**
 * A captured session spanning several chunks: connection a (text frames, even seqs 2, 4, … — gaps on purpose)
 * and b (binary frames, every third a frame) interleaved, in time order.
 */
async function seedLong(sessionId: string, aFrames: number): Promise<{ a: string; b: string }> {
  await db.put('sessions', newSession({ id: sessionId, tabId: 1, pageUrl: 'https://long.test/', title: 'Long', startedAt: T0 }));
  const a = `${sessionId}-a`;
  const b = `${sessionId}-b`;
  const events: WireEvent[] = [
    { k: 'connect', connectionId: a, url: 'wss://long.test/a', protocols: [], frameUrl: 'https://long.test/', time: T0 },
    { k: 'connect', connectionId: b, url: 'wss://long.test/b', protocols: [], frameUrl: 'https://long.test/', time: T0 + 0.25 },
  ];
  let bSeq = 0;
  for (let i = 1; i <= aFrames; i++) {
    events.push(frame(a, 2 * i, i * 1.5 + 0.000001, i % 2 ? 'send' : 'receive', `a-${i} ✓`));
    if (i % 3 === 0) events.push(frame(b, ++bSeq, i * 1.5 + 0.5, 'receive', Uint8Array.from([i & 255, i >> 8, 0, 255])));
  }
  await writeEvents(db, sessionId, 'https://long.test/', events);
  return { a, b };
}

async function snapshot() {
  return { sessions: await db.getAll('sessions'), connections: await db.getAll('connections'), chunks: await db.getAll('chunks') };
}

async function allRows(): Promise<FrameRecord[]> {
  return (await db.getAll('chunks')).flatMap(rowsOfChunk);
}

/** Rows in a form toEqual compares by content (ArrayBuffers as byte arrays). */
function comparable(rows: FrameRecord[]) {
  const bytes = (v: string | ArrayBuffer | undefined) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v);
  return rows.map(({ sessionId: _s, connectionId: _c, data, original, ...rest }) => ({ ...rest, data: bytes(data), original: bytes(original) }));
}

function withoutIds(rows: FrameRecord[]) {
  return rows.map(({ sessionId: _s, connectionId: _c, ...rest }) => rest);
}

/**
 * Records every getAll on the `chunks` store or one of its indexes (how many chunks each returned), below idb, so
 * reads through transactions count as well as db.getAll's. Call the returned `stop` when done.
 */
function recordChunkReads() {
  const reads: Array<{ index: string | null; chunks: number }> = [];
  const restore: Array<() => void> = [];
  for (const proto of [IDBObjectStore.prototype, IDBIndex.prototype] as Array<{ getAll(...args: unknown[]): IDBRequest }>) {
    const original = proto.getAll;
    proto.getAll = function (this: IDBObjectStore | IDBIndex, ...args: unknown[]) {
      const request = original.apply(this, args);
      const store = this instanceof IDBIndex ? this.objectStore : this;
      if (store.name === 'chunks') {
        const index = this instanceof IDBIndex ? this.name : null;
        request.addEventListener('success', () => reads.push({ index, chunks: (request.result as unknown[]).length }));
      }
      return request;
    };
    restore.push(() => (proto.getAll = original));
  }
  return { reads, total: () => reads.reduce((sum, r) => sum + r.chunks, 0), stop: () => restore.forEach((undo) => undo()) };
}

async function framesOf(sessionId: string, connectionId: string) {
  return connectionFrames(db, sessionId, connectionId);
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
    expect(await db.count('sessions')).toBe(3);
    expect(await allRows()).toHaveLength(48);
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
    // Our own fields, for what HAR has no place for: not the url or state (HAR has them), not the initiator (a replay
    // is ours alone), and a field the connection lacks is left out rather than written as null.
    const common = ['protocols', 'protocol', 'extensions', 'frameUrl', 'pageUrl', 'startedAt', 'errored', 'openedAt'];
    expect(Object.keys(entry._wsInspector)).toEqual([...common, 'closedAt', 'closeCode', 'closeReason', 'wasClean']);
    expect(Object.keys(har.log.entries[1]._wsInspector)).toEqual(common);
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
    // The row counts the panel reads instead of counting (lib/store/frame-query.ts): exact.
    expect(session.rowCount).toBe((await sessionFrames(db, result.sessionId)).length);
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
    let transactions = 0;
    let storedWhenItFailed: Promise<number> | undefined;
    const error = await writeImportedSession(db, portable, 'f.har', {
      chunkRows: 2,
      onProgress: () => {
        if (++transactions < 2) return;
        // Read before the clean-up's transaction (requests run in order): rows of the new session were stored.
        storedWhenItFailed = db.count('chunks').then((n) => n - before.chunks.length);
        throw new Error('disk full');
      },
    }).then(() => null, (e: Error) => e);
    expect(error?.message).toBe('f.har: could not store the import (disk full); nothing was kept');
    expect(await storedWhenItFailed).toBe(2);
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

describe('export reads the chunked store', () => {
  it('connectionRowChunks gives exactly the rows with seq in [fromSeq, toSeq], full pages, across chunk boundaries', async () => {
    const { a, b } = await seedLong('long', 700);
    const everyA = await connectionFrames(db, 'long', a);
    expect(everyA).toHaveLength(700);
    // The test only means something if connection a's rows span several chunks.
    expect(new Set(everyA.map((r) => Math.floor(r.pos! / CHUNK_ROWS))).size).toBeGreaterThan(2);
    const last = 1400;
    const ranges: Array<[number, number]> = [
      [-Infinity, Infinity], [2, 2], [1, 1], [3, 3], [300, 900], [511, 513], [2, last], [last, Infinity], [last + 1, Infinity], [-Infinity, 1], [900, 300], [Infinity, -Infinity],
    ];
    // Every range at a few page sizes; page size 1 (a read per row) only on a few, it is slow on fake-indexeddb.
    const cases: Array<[number, number, number]> = [7, CHUNK_ROWS, 5000].flatMap((chunkRows) => ranges.map(([from, to]): [number, number, number] => [chunkRows, from, to]));
    cases.push([1, 511, 519], [1, last - 4, Infinity], [1, 3, 3]);
    for (const [chunkRows, fromSeq, toSeq] of cases) {
      const pages: FrameRecord[][] = [];
      for await (const page of connectionRowChunks(db, 'long', a, chunkRows, fromSeq, toSeq)) pages.push(page);
      const expected = everyA.filter((r) => r.seq >= fromSeq && r.seq <= toSeq);
      const where = `chunkRows ${chunkRows}, seq [${fromSeq}, ${toSeq}]`;
      expect(pages.flat().map((r) => [r.connectionId, r.seq, r.data]), where).toEqual(expected.map((r) => [a, r.seq, r.data]));
      expect(pages.slice(0, -1).every((p) => p.length === chunkRows), where).toBe(true);
      expect(pages.every((p) => p.length > 0 && p.length <= chunkRows), where).toBe(true);
    }
    const pagesOfB: FrameRecord[][] = [];
    for await (const page of connectionRowChunks(db, 'long', b, 50)) pagesOfB.push(page);
    expect(pagesOfB.flat().map((r) => r.seq)).toEqual(Array.from({ length: 233 }, (_, i) => i + 1));
  });

  it('reads a sparse connection a bounded number of chunks at a time, still in full pages', async () => {
    // 40,000 rows, one in 25 from `sparse`: a 5000-row page of it would span the whole session (157 chunks).
    await db.put('sessions', newSession({ id: 'mixed', pageUrl: 'https://mixed.test/', startedAt: T0 }));
    const events: WireEvent[] = [
      { k: 'connect', connectionId: 'dense', url: 'wss://mixed.test/dense', protocols: [], frameUrl: '', time: T0 },
      { k: 'connect', connectionId: 'sparse', url: 'wss://mixed.test/sparse', protocols: [], frameUrl: '', time: T0 },
    ];
    for (let i = 0; i < 40_000; i++) {
      if (i % 25 === 24) events.push(frame('sparse', (i + 1) / 25, i, 'receive', `s${(i + 1) / 25}`));
      else events.push(frame('dense', i + 1, i, 'send', 'd'));
    }
    await writeEvents(db, 'mixed', '', events);
    const step = connectionReadStep(5000, 1600, 40_000);
    expect(step).toBe(Math.floor((MAX_CHUNKS_PER_READ * CHUNK_ROWS * 1600) / 40_000));
    expect(step).toBeLessThan(1600);
    // Every read by connection position, and how many chunks it returned.
    const recorder = recordChunkReads();
    for (const [chunkRows, fromSeq, toSeq] of [[5000, -Infinity, Infinity], [400, -Infinity, Infinity], [5000, 100, 1450], [step, step, step + 1]]) {
      const pages: FrameRecord[][] = [];
      for await (const page of connectionRowChunks(db, 'mixed', 'sparse', chunkRows, fromSeq, toSeq)) pages.push(page);
      const seqs = Array.from({ length: 1600 }, (_, i) => i + 1).filter((seq) => seq >= fromSeq && seq <= toSeq);
      const where = `chunkRows ${chunkRows}, seq [${fromSeq}, ${toSeq}]`;
      expect(pages.flat().map((r) => [r.connectionId, r.seq, r.data]), where).toEqual(seqs.map((seq) => ['sparse', seq, `s${seq}`]));
      expect(pages.map((p) => p.length), where).toEqual(seqs.map((_, i) => i).filter((i) => i % chunkRows === 0).map((i) => Math.min(chunkRows, seqs.length - i)));
    }
    expect(await db.count('chunks')).toBeGreaterThan(150);
    // Plus the store's own look-back of CHUNK_ROWS - 1 connection positions (lib/store/frame-store.ts readConnectionRows),
    // here CHUNK_ROWS * 25 session rows: 25 chunks.
    recorder.stop();
    const chunksPerRead = recorder.reads.filter((r) => r.index === 'byConnectionPos').map((r) => r.chunks);
    expect(chunksPerRead.length).toBeGreaterThan(10);
    expect(Math.max(...chunksPerRead)).toBeLessThanOrEqual(MAX_CHUNKS_PER_READ + 25 + 2);
  });

  it('connections whose rows interleave are read in one pass: the same file, a fraction of the chunk reads', async () => {
    // A busy stream and four heartbeat sockets beside it, all through the session: every chunk holds all five.
    await db.put('sessions', newSession({ id: 'beats', pageUrl: 'https://beats.test/', startedAt: T0 }));
    const ids = ['stream', 'beat-1', 'beat-2', 'beat-3', 'beat-4'];
    const events: WireEvent[] = ids.map((id) => ({ k: 'connect', connectionId: id, url: `wss://beats.test/${id}`, protocols: [], frameUrl: '', time: T0 }));
    const seqs = new Map(ids.map((id) => [id, 0]));
    for (let i = 0; i < 20_000; i++) {
      const id = i % 50 < 46 ? 'stream' : ids[1 + (i % 50) - 46];
      const seq = seqs.get(id)! + 1;
      seqs.set(id, seq);
      events.push(frame(id, seq, i, i % 2 ? 'send' : 'receive', i % 7 ? `${id} ${seq}` : Uint8Array.of(seq & 255, 7)));
    }
    await writeEvents(db, 'beats', 'https://beats.test/', events);
    const sessionChunks = await db.count('chunks');
    const now = new Date(T0);
    const scopes: ExportScope[] = [
      { kind: 'session', sessionId: 'beats' },
      { kind: 'filtered', sessionId: 'beats', predicate: (row) => row.kind !== 'frame' || row.seq % 3 === 0 },
    ];
    for (const scope of scopes) {
      for (const format of ['wsi', 'har'] as const) {
        const where = `${scope.kind} ${format}`;
        const chunksRead = async (budget?: number) => {
          const recorder = recordChunkReads();
          try {
            return { result: await exportSession(db, scope, format, { now, sharedReadBudget: budget }), chunks: recorder.total() };
          } finally {
            recorder.stop();
          }
        };
        const { result: alone, chunks: readAlone } = await chunksRead(0);
        const { result: together, chunks: readTogether } = await chunksRead();
        // A budget the stream does not fit in: it is read on its own, the four heartbeats together.
        const { result: split, chunks: readSplit } = await chunksRead(1_000_000);
        const text = await alone.blob.text();
        expect(await together.blob.text(), where).toBe(text);
        expect(await split.blob.text(), where).toBe(text);
        expect(together.rows, where).toBe(alone.rows);
        expect(readAlone, where).toBeGreaterThanOrEqual(5 * sessionChunks);
        expect(readTogether, where).toBe(sessionChunks);
        // The stream read by itself re-reads the chunk where each of its pages ends.
        expect(readSplit, where).toBeGreaterThanOrEqual(2 * sessionChunks);
        expect(readSplit, where).toBeLessThan(2 * sessionChunks + 8);
      }
    }
  });

  it('groupConnectionReads joins a connection to the run before it only where one pass reads fewer chunks, within the budget', () => {
    const span = (id: string, chunks: number, firstChunk: number, lastChunk: number, memory = 1) => ({ id, chunks, firstChunk, lastChunk, memory });
    // Chunk keys 0, 256, 512, … : chunksBetween counts them.
    const between = (first: number, last: number) => Math.floor(last / 256) - Math.ceil(first / 256) + 1;
    const ids = (runs: Array<{ members: Array<{ id: string }> }>) => runs.map((run) => run.members.map((c) => c.id));
    // Interleaved through the same 100 chunks: one pass.
    expect(ids(groupConnectionReads([span('a', 100, 0, 99 * 256), span('b', 100, 0, 99 * 256), span('c', 90, 0, 99 * 256)], between, 10))).toEqual([['a', 'b', 'c']]);
    // Apart (chunks 0–9 and 50–59): reading the 60 between them would cost more than 10 + 10.
    expect(ids(groupConnectionReads([span('a', 10, 0, 9 * 256), span('b', 10, 50 * 256, 59 * 256)], between, 10))).toEqual([['a'], ['b']]);
    // A connection with a few rows in a corner of a long run is still cheaper read on its own.
    expect(ids(groupConnectionReads([span('a', 100, 0, 99 * 256), span('b', 3, 100 * 256, 102 * 256)], between, 10))).toEqual([['a'], ['b']]);
    // Over the budget: not held together; a run starts again after it.
    expect(ids(groupConnectionReads([span('big', 100, 0, 99 * 256, 8), span('x', 100, 0, 99 * 256, 5), span('y', 100, 0, 99 * 256, 5)], between, 10))).toEqual([['big'], ['x', 'y']]);
    // A connection with no rows reads nothing: it joins no run, and the next one starts afresh.
    expect(ids(groupConnectionReads([span('a', 100, 0, 99 * 256), span('empty', 0, 0, 0), span('b', 100, 0, 99 * 256)], between, 10))).toEqual([['a'], ['empty'], ['b']]);
    expect(groupConnectionReads([], between, 10)).toEqual([]);
  });

  it('connectionReadStep reads a page at once where the connection is most of its session, fewer rows where it is sparse', () => {
    expect(connectionReadStep(5000, 1000, 1000)).toBe(5000);
    expect(connectionReadStep(5000, 100_000, 400_000)).toBe(MAX_CHUNKS_PER_READ * CHUNK_ROWS / 4);
    expect(connectionReadStep(5000, 10, 1_000_000)).toBe(1);
    // No counts (a session gone meanwhile): a page at once, as before there were counts.
    expect(connectionReadStep(5000, 0, 0)).toBe(5000);
    expect(connectionReadStep(7, 3, 9)).toBe(7);
    // Counts read mid-capture may disagree for a moment: never more than the page, never below one row.
    expect(connectionReadStep(5000, 20, 10)).toBe(5000);
  });

  it('a selection across a chunk boundary exports exactly the selected rows', async () => {
    const { a, b } = await seedLong('long', 700);
    // a's seqs 700…860 (every other number) straddle a chunk boundary; b's 120…135 too.
    const keys = [
      ...Array.from({ length: 81 }, (_, i) => ({ connectionId: a, seq: 700 + 2 * i })),
      { connectionId: a, seq: 1 }, // not a row of a: adds nothing
      ...Array.from({ length: 16 }, (_, i) => ({ connectionId: b, seq: 120 + i })),
    ];
    const chunkOf = (rows: FrameRecord[], from: number, to: number) => new Set(rows.filter((r) => r.seq >= from && r.seq <= to).map((r) => Math.floor(r.pos! / CHUNK_ROWS)));
    expect(chunkOf(await connectionFrames(db, 'long', a), 700, 860).size).toBe(2);
    expect(chunkOf(await connectionFrames(db, 'long', b), 120, 135).size).toBe(2);
    for (const chunkRows of [7, 5000]) {
      for (const kind of ['selection', 'filtered'] as const) {
        const exported = await exportSession(db, { kind, sessionId: 'long', keys }, 'wsi', { chunkRows });
        const file = readSessionText(await exported.blob.text());
        expect(file.connections.map((c) => [c.url, c.rows.map((r) => r.seq)])).toEqual([
          ['wss://long.test/a', Array.from({ length: 81 }, (_, i) => 700 + 2 * i)],
          ['wss://long.test/b', Array.from({ length: 16 }, (_, i) => 120 + i)],
        ]);
        expect(file.connections[0].rows[0].data).toBe('a-350 ✓');
        expect(exported.rows).toBe(97);
      }
    }
  });

  it('export → import → export of a multi-chunk session is byte- and timestamp-exact, in the same session order', async () => {
    await seedLong('long', 700);
    const now = new Date(T0);
    const first = await exportSession(db, { kind: 'session', sessionId: 'long' }, 'wsi', { chunkRows: 100, now });
    const imported = await importFile(db, source(first.fileName, await first.blob.text()), { chunkRows: 300 });
    expect(imported.rows).toBe(700 + 233);
    // Captured in time order, so the imported session's order (merged by time) is the captured one.
    expect(comparable(await sessionFrames(db, imported.sessionId))).toEqual(comparable(await sessionFrames(db, 'long')));
    const second = await exportSession(db, { kind: 'session', sessionId: imported.sessionId }, 'wsi', { chunkRows: 100, now });
    // Everything but the store's ids (fresh on import) is the same, to the byte.
    const withoutIds = (text: string) => JSON.stringify((JSON.parse(text) as { connections: Array<{ id?: string }> }).connections.map(({ id: _id, ...rest }) => rest));
    const [one, two] = [withoutIds(await first.blob.text()), withoutIds(await second.blob.text())];
    expect(one.length).toBeGreaterThan(50_000);
    expect(two).toBe(one);
    const reread = readSessionText(await second.blob.text());
    expect(reread.connections[0].rows[0].time).toBe(T0 + 1.500001);
    expect(reread.connections[1].rows[0].data).toBe(bytesToBase64(Uint8Array.from([3, 0, 0, 255])));
  });
});

/** A `.wsi.json` file with the given connections (rows of text frames at the given times). */
function wsiFile(connections: Array<{ url: string; times: number[] }>): string {
  return JSON.stringify({
    format: 'websocket-inspector',
    version: 1,
    session: { pageUrl: 'https://mix.test/' },
    connections: connections.map((c) => ({
      url: c.url,
      rows: c.times.map((time, i) => ({ seq: i + 1, time, kind: 'frame', dir: 'receive', opcode: 1, data: `${c.url} #${i + 1}` })),
    })),
  });
}

describe('import writes the chunked store', () => {
  for (const chunkRows of [undefined, 100, 1]) {
    it(`merges connections by time: session rows in time order, dense pos and cpos, exact row counts (chunkRows ${chunkRows ?? 'default'})`, async () => {
      // Connection 0 every 1 ms; connection 1 half a millisecond later, and at the very same time every tenth row:
      // ties go to the earlier connection in the file.
      const times0 = Array.from({ length: 300 }, (_, i) => T0 + i);
      const times1 = Array.from({ length: 250 }, (_, j) => T0 + j + (j % 10 === 0 ? 0 : 0.5));
      // Ids sort the other way round from file order, so a tie broken by id would show.
      const ids = ['session-x', 'z-first-in-file', 'a-second-in-file'];
      const progress: Array<[number, number]> = [];
      const result = await importFile(db, source('mix.wsi.json', wsiFile([{ url: 'wss://mix.test/0', times: times0 }, { url: 'wss://mix.test/1', times: times1 }])), {
        chunkRows,
        newId: () => ids.shift()!,
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(result.connectionIds).toEqual(['z-first-in-file', 'a-second-in-file']);

      const expected = [...times0.map((time, i) => ({ c: 0, seq: i + 1, time })), ...times1.map((time, i) => ({ c: 1, seq: i + 1, time }))]
        .sort((x, y) => x.time - y.time || x.c - y.c);
      const rows = await sessionFrames(db, 'session-x');
      expect(rows.map((r) => [result.connectionIds.indexOf(r.connectionId), r.seq, r.time])).toEqual(expected.map((e) => [e.c, e.seq, e.time]));
      expect(rows.map((r) => r.pos)).toEqual(rows.map((_, i) => i));
      const session = (await db.get('sessions', 'session-x'))!;
      expect(session.rowCount).toBe(550);

      for (const [ci, count] of [[0, 300], [1, 250]] as const) {
        const id = result.connectionIds[ci];
        const inSessionOrder = rows.filter((r) => r.connectionId === id);
        expect(inSessionOrder.map((r) => r.cpos)).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(inSessionOrder.map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        const byConnection = await connectionFrames(db, 'session-x', id);
        expect(byConnection.map((r) => [r.cpos, r.seq, r.data])).toEqual(inSessionOrder.map((r) => [r.cpos, r.seq, r.data]));
        expect((await db.get('connections', id))!.rowCount).toBe(count);
        expect((await getRow(db, 'session-x', id, 123))?.data).toBe(`wss://mix.test/${ci} #123`);
      }

      const chunks = await db.getAll('chunks', IDBKeyRange.bound(['session-x', -Infinity], ['session-x', Infinity]));
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.every((c) => c.seq.length >= 1 && c.seq.length <= CHUNK_ROWS)).toBe(true);
      expect(chunks.map((c) => c.pos)).toEqual(chunks.map((_, i) => chunks.slice(0, i).reduce((sum, c) => sum + c.seq.length, 0)));
      // Progress after each transaction, up to every row; a transaction never holds more than chunkRows rows.
      expect(progress.at(-1)).toEqual([550, 550]);
      const steps = progress.map(([done], i) => done - (i === 0 ? 0 : progress[i - 1][0]));
      expect(steps.every((n) => n > 0 && n <= (chunkRows ?? CHUNK_ROWS * 8))).toBe(true);
      if (chunkRows !== undefined) expect(progress).toHaveLength(Math.ceil(550 / chunkRows));
    });
  }

  it('keeps each connection in seq order where a file’s clock goes backwards', async () => {
    const portable: PortableSession = {
      format: 'wsi',
      pageUrl: 'https://clock.test/',
      title: '',
      startedAt: T0,
      warnings: [],
      connections: [[10, 5, 20], [7, 15]].map((times, ci) => ({
        url: `wss://clock.test/${ci}`, protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: T0, state: 'closed' as const, errored: false,
        rows: times.map((t, i): PortableRow => ({ seq: i + 1, time: T0 + t, kind: 'frame', dir: 'send', opcode: 1, encoding: 'text', data: `${ci}.${i + 1}`, size: 3 })),
      })),
    };
    const result = await writeImportedSession(db, portable, 'clock.wsi.json');
    const rows = await sessionFrames(db, result.sessionId);
    expect(rows.map((r) => r.data)).toEqual(['1.1', '0.1', '0.2', '1.2', '0.3']);
    for (const id of result.connectionIds) {
      const own = await connectionFrames(db, result.sessionId, id);
      expect(own.map((r) => [r.cpos, r.seq])).toEqual(own.map((_, i) => [i, i + 1]));
    }
  });

  it('refuses rows whose seqs do not increase, before writing anything', async () => {
    await seedCaptured();
    const before = await snapshot();
    const portable = readSessionText(wsiFile([{ url: 'wss://x.test/', times: [T0, T0 + 1, T0 + 2] }]));
    portable.connections[0].rows[2].seq = 2;
    const error = await writeImportedSession(db, portable, 'dup.wsi.json').then(() => null, (e: Error) => e);
    expect(error?.message).toBe("dup.wsi.json: connection 0 row 2: seq 2 is not greater than the previous row's seq 2");
    expect(await snapshot()).toEqual(before);
  });
});

describe('mergeByTime', () => {
  it('is the stable sort by (time, connection) of connections whose times do not decrease', () => {
    let state = 12345;
    const random = (n: number) => ((state = (state * 1103515245 + 12345) % 2147483648), state % n);
    for (let round = 0; round < 20; round++) {
      const connections = Array.from({ length: 1 + random(40) }, () => {
        let time = random(5);
        return { rows: Array.from({ length: random(30) }, () => ({ time: (time += random(3)) })) };
      });
      const expected = connections
        .flatMap((c, ci) => c.rows.map((r, i) => ({ ci, i, time: r.time })))
        .sort((x, y) => x.time - y.time || x.ci - y.ci)
        .map(({ ci, i }) => [ci, i]);
      expect([...mergeByTime(connections)]).toEqual(expected);
    }
    expect([...mergeByTime([])]).toEqual([]);
    expect([...mergeByTime([{ rows: [] }, { rows: [{ time: 1 }] }, { rows: [] }])]).toEqual([[1, 0]]);
  });
});
