// Session export and import end to end: .wsi.json and HAR round trips, Chrome's own HAR, bad input leaving the store
// as it was, and the published schema of .wsi.json.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectionFrames, listConnections, rowsOfChunk, sessionFrames } from '@/lib/store/frame-store';
import type { FrameRecord } from '@/lib/shared/records';
import { exportSession, importFile, writeImportedSession, type ExportScope, type ImportSource } from '@/lib/io/session-io';
import { readSessionText } from '@/lib/io/formats/detect';
import { bytesToBase64 } from '@/lib/shared/wire';
import { T0, allBytes, db, loneSurrogate, seedCaptured, snapshot, source, useSessionIoDatabase } from './session-io-fixtures';

useSessionIoDatabase();

async function allRows(): Promise<FrameRecord[]> {
  return (await db.getAll('chunks')).flatMap(rowsOfChunk);
}

function withoutIds(rows: FrameRecord[]) {
  return rows.map(({ sessionId: _s, connectionId: _c, ...rest }) => rest);
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
    const text = readFileSync(new URL('../../fixtures/chrome-websocket.har', import.meta.url), 'utf8');
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
  const good = () => JSON.parse(readFileSync(new URL('../../fixtures/chrome-websocket.har', import.meta.url), 'utf8'));
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
    const portable = readSessionText(readFileSync(new URL('../../fixtures/chrome-websocket.har', import.meta.url), 'utf8'));
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
    const schema = JSON.parse(readFileSync(new URL('../../../docs/wsi.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const { sessionId } = await seedCaptured();
    const file = JSON.parse(await (await exportSession(db, { kind: 'session', sessionId }, 'wsi')).blob.text());
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    delete file.connections[0].rows[2].data;
    expect(validate(file)).toBe(false);
  });
});
