// Handshakes from webRequest (issue #21 §3): assembled from a request's events, attached to the hook's connection
// of the same tab (nearest unclaimed start, same URL; once), tried again while that connection is on its way, given
// up for a socket the hook never saw, and never over a handshake DevTools' log gave.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ensureSession, listConnections, newSession, openFrameStore, writeEvents } from '@/lib/store/frame-store';
import { attachNetworkHandshake, findConnectionForRequest } from '@/lib/store/network-handshakes';
import { ATTACH_RETRIES_MS, NetworkHandshakes, statusTextOf, type RequestDetails, type WebRequestLike } from '@/lib/worker/network-handshakes';
import type { BackgroundToPanelMessage, WireEvent } from '@/lib/shared/protocol';
import type { ConnectionRecord } from '@/lib/shared/records';

let counter = 0;
const TAB = 7;
const connect = (id: string, time: number, url = 'ws://a/x'): WireEvent => ({ k: 'connect', connectionId: id, url, protocols: [], frameUrl: 'http://a/', time });

async function freshStore() {
  const db = await openFrameStore(`network-handshakes-${++counter}`);
  await ensureSession(db, newSession({ id: 's', tabId: TAB, pageUrl: 'http://a/', startedAt: 1 }));
  return db;
}

/** A fake webRequest whose events the test fires. */
function fakeWebRequest(extraHeaders = true) {
  const listeners = new Map<string, { fn: (d: RequestDetails) => void; spec?: string[] }>();
  const event = (name: string) => ({
    addListener: (fn: (d: RequestDetails) => void, filter: { types?: string[] }, spec?: string[]) => {
      expect(filter.types).toEqual(['websocket']);
      listeners.set(name, { fn, spec });
    },
    removeListener: () => listeners.delete(name),
  });
  const api: WebRequestLike = {
    onSendHeaders: event('send'),
    onHeadersReceived: event('headers'),
    onCompleted: event('completed'),
    onErrorOccurred: event('error'),
    ...(extraHeaders ? { OnSendHeadersOptions: { EXTRA_HEADERS: 'extraHeaders' } } : {}),
  };
  const fire = (name: string, details: Partial<RequestDetails>) => listeners.get(name)?.fn({ requestId: '1', url: 'ws://a/x', tabId: TAB, timeStamp: 1000, ...details });
  return { api, listeners, fire };
}

function watcher(db: Awaited<ReturnType<typeof freshStore>>) {
  const notes: Array<{ tabId: number; msg: BackgroundToPanelMessage }> = [];
  const sleeps: number[] = [];
  const handshakes = new NetworkHandshakes({
    db: async () => db,
    panels: { toTab: (tabId, msg) => notes.push({ tabId, msg }), toAll: () => undefined },
    log: (error) => {
      throw error;
    },
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { handshakes, notes, sleeps };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('a handshake from webRequest', () => {
  it('status text from the status line', () => {
    expect(statusTextOf('HTTP/1.1 101 Switching Protocols')).toBe('Switching Protocols');
    expect(statusTextOf('HTTP/1.1 403')).toBe('');
    expect(statusTextOf(undefined)).toBe('');
  });

  it('asks for extraHeaders only where the browser has it (Chrome), and listens once', async () => {
    const db = await freshStore();
    const chrome = fakeWebRequest(true);
    const { handshakes } = watcher(db);
    expect(handshakes.listen(undefined)).toBe(false);
    expect(handshakes.listen(chrome.api)).toBe(true);
    expect(chrome.listeners.get('send')?.spec).toEqual(['requestHeaders', 'extraHeaders']);
    expect(chrome.listeners.get('headers')?.spec).toEqual(['responseHeaders', 'extraHeaders']);
    const firefox = fakeWebRequest(false);
    const other = watcher(db).handshakes;
    other.listen(firefox.api);
    expect(firefox.listeners.get('send')?.spec).toEqual(['requestHeaders']);
    handshakes.stop();
    expect(handshakes.active).toBe(false);
    expect(chrome.listeners.size).toBe(0);
  });

  it('is attached to the hook connection of its tab with its headers and status, and the panels are told', async () => {
    const db = await freshStore();
    await writeEvents(db, 's', 'http://a/', [connect('hook', 1004)]);
    const web = fakeWebRequest();
    const { handshakes, notes } = watcher(db);
    handshakes.listen(web.api);
    web.fire('send', { method: 'GET', requestHeaders: [{ name: 'Origin', value: 'http://a' }, { name: 'Cookie', value: 'k=v' }] });
    web.fire('headers', { statusCode: 101, statusLine: 'HTTP/1.1 101 Switching Protocols', responseHeaders: [{ name: 'Sec-WebSocket-Accept', value: 'x=' }, { name: 'Set-Cookie', value: 'b=2' }] });
    web.fire('completed', { statusCode: 101 });
    await settle();
    const [hook] = await listConnections(db, 's');
    expect(hook.handshakeRequest).toBe('1');
    expect(hook.handshake).toEqual({
      method: 'GET',
      url: 'ws://a/x',
      status: 101,
      statusText: 'Switching Protocols',
      requestHeaders: [{ name: 'Origin', value: 'http://a' }, { name: 'Cookie', value: 'k=v' }],
      responseHeaders: [{ name: 'Sec-WebSocket-Accept', value: 'x=' }, { name: 'Set-Cookie', value: 'b=2' }],
      source: 'network',
    });
    expect(notes).toEqual([{ tabId: TAB, msg: expect.objectContaining({ type: 'stored', sessionId: 's', connectionIds: ['hook'] }) }]);
  });

  it('a refused or failed upgrade keeps the browser\'s error; a request of no tab (a worker\'s) is not followed', async () => {
    const db = await freshStore();
    await writeEvents(db, 's', 'http://a/', [connect('hook', 1000)]);
    const web = fakeWebRequest();
    const { handshakes } = watcher(db);
    handshakes.listen(web.api);
    web.fire('send', { requestId: 'w', tabId: -1 });
    web.fire('error', { requestId: 'w', tabId: -1, error: 'net::ERR_FAILED' });
    web.fire('send', {});
    web.fire('error', { error: 'net::ERR_FAILED' });
    await settle();
    const [hook] = await listConnections(db, 's');
    expect(hook.handshake).toMatchObject({ status: 0, error: 'net::ERR_FAILED', source: 'network' });
    expect(hook.handshakeRequest).toBe('1');
  });

  it('waits for a hook connection stored a moment later, and gives up on one that never comes', async () => {
    const db = await freshStore();
    const web = fakeWebRequest();
    const { handshakes, sleeps } = watcher(db);
    let tries = 0;
    const late = await freshStore();
    // The connection appears after the second try.
    const attach = handshakes.attach({ requestId: 'r', tabId: TAB, url: 'ws://a/x', startedAt: 1000, handshake: { method: 'GET', url: 'ws://a/x', status: 101, statusText: '', requestHeaders: [], responseHeaders: [], source: 'network' } });
    expect(await attach).toBe(false); // nothing ever came in `db`
    expect(sleeps).toEqual(ATTACH_RETRIES_MS.filter((ms) => ms > 0));
    const second = new NetworkHandshakes({
      db: async () => {
        if (++tries === 2) await writeEvents(late, 's', 'http://a/', [connect('hook', 1001)]);
        return late;
      },
      panels: { toTab: () => undefined, toAll: () => undefined },
      log: () => undefined,
      sleep: async () => undefined,
    });
    expect(await second.attach({ requestId: 'r', tabId: TAB, url: 'ws://a/x', startedAt: 1000, handshake: { method: 'GET', url: 'ws://a/x', status: 101, statusText: '', requestHeaders: [], responseHeaders: [], source: 'network' } })).toBe(true);
    expect((await listConnections(late, 's'))[0].handshakeRequest).toBe('r');
    void web;
  });
});

describe('matching a request with the hook connection', () => {
  const record = (fields: Partial<ConnectionRecord>): ConnectionRecord => ({
    id: 'c', sessionId: 's', url: 'ws://a/x', protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: 1000, state: 'open',
    errored: false, sentCount: 0, receivedCount: 0, sentBytes: 0, receivedBytes: 0, lastSeq: 0, rowCount: 0, ...fields,
  });
  const request = { requestId: 'r', url: 'ws://a/x', startedAt: 1000 };

  it('the nearest unclaimed start with the same URL, within the window; its own claim first', () => {
    const near = record({ id: 'near', startedAt: 1008 });
    const claimed = record({ id: 'claimed', startedAt: 1000, handshakeRequest: 'other' });
    const replay = record({ id: 'replay', startedAt: 1000, initiator: 'replay' });
    const otherUrl = record({ id: 'y', url: 'ws://a/y', startedAt: 1000 });
    expect(findConnectionForRequest([claimed, replay, otherUrl, record({ id: 'far', startedAt: 1400 }), near], request)?.id).toBe('near');
    expect(findConnectionForRequest([record({ startedAt: 9000 })], request)).toBeUndefined();
    expect(findConnectionForRequest([near, record({ id: 'mine', handshakeRequest: 'r', startedAt: 50 })], request)?.id).toBe('mine');
  });

  it('two sockets to one URL opened together each get their own request', async () => {
    const db = await freshStore();
    await writeEvents(db, 's', 'http://a/', [connect('first', 1000), connect('second', 1030)]);
    const handshake = (n: number) => ({ method: 'GET', url: 'ws://a/x', status: 101, statusText: '', requestHeaders: [{ name: 'N', value: String(n) }], responseHeaders: [], source: 'network' as const });
    expect(await attachNetworkHandshake(db, { requestId: 'a', tabId: TAB, url: 'ws://a/x', startedAt: 1001, handshake: handshake(1) })).toEqual({ sessionId: 's', connectionId: 'first' });
    expect(await attachNetworkHandshake(db, { requestId: 'b', tabId: TAB, url: 'ws://a/x', startedAt: 1002, handshake: handshake(2) })).toEqual({ sessionId: 's', connectionId: 'second' });
    expect(await attachNetworkHandshake(db, { requestId: 'c', tabId: TAB + 1, url: 'ws://a/x', startedAt: 1002, handshake: handshake(3) })).toBeUndefined();
  });

  it('keeps a handshake DevTools gave, and claims the connection', async () => {
    const db = await freshStore();
    await writeEvents(db, 's', 'http://a/', [connect('hook', 1000)]);
    const tx = db.transaction('connections', 'readwrite');
    const hook = (await tx.store.get('hook'))!;
    const fromDevtools = { method: 'GET', url: 'ws://a/x', status: 101, statusText: 'Switching Protocols', requestHeaders: [], responseHeaders: [], source: 'devtools' as const };
    await tx.store.put({ ...hook, handshake: fromDevtools });
    await tx.done;
    await attachNetworkHandshake(db, { requestId: 'a', tabId: TAB, url: 'ws://a/x', startedAt: 1000, handshake: { ...fromDevtools, source: 'network' } });
    const [after] = await listConnections(db, 's');
    expect(after.handshake?.source).toBe('devtools');
    expect(after.handshakeRequest).toBe('a');
  });
});
