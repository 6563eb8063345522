// DevTools' network log in the store: a socket the hook captured is matched and gets its handshake (once, by the
// nearest unclaimed start), a socket the hook never saw is its own connection whose rows are written once however
// often the panel sends it, and positions stay dense.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { devtoolsConnectionId, findHookConnection, HOOK_GRACE_MS, normalizeSocketUrl, storeDevtoolsSocket } from '@/lib/store/devtools-sockets';
import { connectionFrames, ensureSession, listConnections, newSession, openFrameStore, sessionFrames, writeEvents } from '@/lib/store/frame-store';
import type { DevtoolsSocket, WireEvent } from '@/lib/shared/protocol';
import type { ConnectionRecord, Handshake } from '@/lib/shared/records';

let counter = 0;
const handshake = (status = 101): Handshake => ({
  method: 'GET',
  url: 'ws://a/x',
  status,
  statusText: status === 101 ? 'Switching Protocols' : '',
  requestHeaders: [{ name: 'Sec-WebSocket-Version', value: '13' }],
  responseHeaders: status === 101 ? [{ name: 'Sec-WebSocket-Protocol', value: 'chat' }] : [],
  source: 'devtools',
});
const socket = (fields: Partial<DevtoolsSocket> = {}): DevtoolsSocket => ({ key: 'ws://a/x@t', url: 'ws://a/x', startedAt: 1000, handshake: handshake(), from: 0, messages: [], ...fields });
const connect = (id: string, time: number, url = 'ws://a/x'): WireEvent => ({ k: 'connect', connectionId: id, url, protocols: [], frameUrl: 'http://a/', time });
const record = (fields: Partial<ConnectionRecord>): ConnectionRecord => ({
  id: 'c', sessionId: 's', url: 'ws://a/x', protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: 1000, state: 'open',
  errored: false, sentCount: 0, receivedCount: 0, sentBytes: 0, receivedBytes: 0, lastSeq: 0, rowCount: 0, ...fields,
});

async function freshStore() {
  const db = await openFrameStore(`devtools-sockets-${++counter}`);
  await ensureSession(db, newSession({ id: 's', pageUrl: 'http://a/', startedAt: 1 }));
  return db;
}

describe('matching a DevTools socket with the hook', () => {
  it('compares URLs as the browser resolves them', () => {
    expect(normalizeSocketUrl('ws://A:80/x#f')).toBe('ws://a/x');
    expect(normalizeSocketUrl('https://a/x')).toBe('wss://a/x');
  });

  it('takes the unclaimed hook connection with the same URL and the nearest start, within the window', () => {
    const near = record({ id: 'near', startedAt: 1010 });
    const far = record({ id: 'far', startedAt: 900 });
    const claimed = record({ id: 'claimed', startedAt: 1000, devtoolsKey: 'other' });
    const otherUrl = record({ id: 'other-url', url: 'ws://a/y', startedAt: 1000 });
    const own = record({ id: 'own', startedAt: 1000, source: 'devtools' });
    expect(findHookConnection([far, claimed, otherUrl, own, near], socket())?.id).toBe('near');
    expect(findHookConnection([record({ startedAt: 1000 + 5000 })], socket())).toBeUndefined();
    // Once claimed, the same entry finds it by its key whatever the times.
    expect(findHookConnection([record({ id: 'mine', devtoolsKey: 'ws://a/x@t', startedAt: 9999 }), near], socket())?.id).toBe('mine');
  });
});

describe('storing a DevTools socket', () => {
  it('attaches the handshake to the hook connection and stores no second connection or rows', async () => {
    const db = await freshStore();
    await writeEvents(db, 's', 'http://a/', [connect('hook', 1003), { k: 'open', connectionId: 'hook', seq: 1, time: 1005, protocol: 'chat', extensions: '' }]);
    const messages = [{ type: 'send' as const, time: 1006, opcode: 1, data: 'hi' }];
    const first = await storeDevtoolsSocket(db, 's', 'http://a/', socket({ messages }), 1010);
    expect(first).toEqual({ key: 'ws://a/x@t', outcome: 'attached', connectionId: 'hook' });
    expect(await storeDevtoolsSocket(db, 's', 'http://a/', socket({ messages }), 9000)).toEqual(first);
    const connections = await listConnections(db, 's');
    expect(connections).toHaveLength(1);
    expect(connections[0].handshake).toEqual(handshake());
    expect(connections[0].source).toBeUndefined();
    expect(await sessionFrames(db, 's')).toHaveLength(1); // the hook's open row only
  });

  it('leaves a young socket the hook has not stored pending, then stores it once as its own connection', async () => {
    const db = await freshStore();
    const messages = [
      { type: 'send' as const, time: 1100, opcode: 1, data: 'héllo' },
      { type: 'receive' as const, time: 1200, opcode: 2, data: btoa('\u0001\u0002\u0003') },
    ];
    expect((await storeDevtoolsSocket(db, 's', 'http://a/', socket({ messages }), 1000 + HOOK_GRACE_MS - 1)).outcome).toBe('pending');
    expect(await listConnections(db, 's')).toHaveLength(0);
    const stored = await storeDevtoolsSocket(db, 's', 'http://a/', socket({ messages, initiatorUrl: 'http://a/w.js' }), 1000 + HOOK_GRACE_MS);
    const id = devtoolsConnectionId('s', 'ws://a/x@t');
    expect(stored).toEqual({ key: 'ws://a/x@t', outcome: 'stored', connectionId: id, stored: 2 });
    // Sent again (a poll before the answer), then with one more message from index 2, then finished.
    await storeDevtoolsSocket(db, 's', 'http://a/', socket({ messages }), 5000);
    await storeDevtoolsSocket(db, 's', 'http://a/', socket({ from: 2, messages: [{ type: 'send', time: 1300, opcode: 1, data: 'bye' }] }), 5000);
    await storeDevtoolsSocket(db, 's', 'http://a/', socket({ from: 3, messages: [], finished: { time: 1400 } }), 5000);
    const [connection] = await listConnections(db, 's');
    expect(connection).toMatchObject({ id, source: 'devtools', initiatorUrl: 'http://a/w.js', state: 'closed', closeCode: 1005, protocol: 'chat', sentCount: 2, receivedCount: 1, receivedBytes: 3 });
    expect(connection.sentBytes).toBe(6 + 3);
    const rows = await connectionFrames(db, 's', id);
    expect(rows.map((r) => [r.kind, r.dir, r.seq])).toEqual([
      ['open', undefined, 1],
      ['frame', 'send', 2],
      ['frame', 'receive', 3],
      ['frame', 'send', 4],
      ['close', undefined, 5],
    ]);
    expect(new Uint8Array(rows[2].data as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect((await sessionFrames(db, 's')).map((r) => r.pos)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a refused upgrade stored from DevTools is an error with its status', async () => {
    const db = await freshStore();
    const refused = socket({ handshake: { ...handshake(403), error: 'Unexpected response code: 403' }, messages: [{ type: 'error', time: 1001, opcode: -1, data: 'Unexpected response code: 403' }], finished: { time: 1002 } });
    await storeDevtoolsSocket(db, 's', 'http://a/', refused, 1010);
    const [connection] = await listConnections(db, 's');
    expect(connection.handshake?.status).toBe(403);
    expect(connection.errored).toBe(true);
    expect(connection.openedAt).toBeUndefined();
  });
});
