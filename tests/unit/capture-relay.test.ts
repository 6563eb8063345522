import { describe, expect, it } from 'vitest';
import { CaptureRelay, MAX_BATCH_WEIGHT, type RelayEnvironment } from '@/lib/relay/capture-relay';
import type { Port } from '@/lib/shared/transport';
import { NAMESPACE, PACKED_EXTRA, PLAIN_PAYLOAD_MAX, PROTOCOL_VERSION, frameCodeOf, type BlobBytes, type PageEvent, type RelayToBackgroundMessage, type RelayToPageMessage, type WireEvent } from '@/lib/shared/protocol';
import { LARGE_SLICE, unpackBatch, withLargeTextBytes } from '@/lib/shared/packed-batch';

/**
 * The relay's end of a runtime port: records what the relay sends and lets the test answer or drop it at once
 * (synchronously, unlike memoryPortPair: these tests drive the relay step by step with a manual clock).
 */
class FakePort implements Port<RelayToBackgroundMessage> {
  posted: RelayToBackgroundMessage[] = [];
  disconnected = false;
  failPosts = false;
  private messageListeners: Array<(m: unknown) => void> = [];
  private disconnectListeners: Array<() => void> = [];
  send(message: RelayToBackgroundMessage): void {
    if (this.failPosts || this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.posted.push(structuredClone(message)); // the real port is a structured clone (Chrome 148+, Firefox)
  }
  listen(onMessage: (m: unknown) => void, onDisconnect?: () => void): () => void {
    this.messageListeners.push(onMessage);
    if (onDisconnect) this.disconnectListeners.push(onDisconnect);
    return () => undefined;
  }
  disconnect(): void {
    this.disconnected = true;
  }
  /** The background answers. */
  deliver(body: Record<string, unknown>): void {
    for (const l of this.messageListeners) l({ ns: NAMESPACE, ...body });
  }
  /** The other end went away (service worker stopped). */
  drop(): void {
    this.disconnected = true;
    for (const l of this.disconnectListeners) l();
  }
  /** Batches posted, unpacked as the background would. */
  batches() {
    return this.posted
      .filter((m): m is Extract<RelayToBackgroundMessage, { type: 'batch' }> => m.type === 'batch')
      .map((m) => ({ ...m, events: unpackBatch(m.packed) }));
  }
  /** The same, with Blobs read first, as the background does. */
  async readBatches() {
    const batches = this.posted.filter((m): m is Extract<RelayToBackgroundMessage, { type: 'batch' }> => m.type === 'batch');
    return Promise.all(batches.map(async (m) => ({ ...m, events: await withBytesRead(unpackBatch(await withLargeTextBytes(m.packed))) })));
  }
}

/** The events with every binary payload left in a Blob (BlobBytes) read into an ArrayBuffer, for comparing bytes. */
async function withBytesRead(events: WireEvent[]): Promise<WireEvent[]> {
  for (const event of events) {
    if (event.k !== 'frame' || event.bytes === undefined || event.bytes instanceof ArrayBuffer) continue;
    const { blob, start, size } = event.bytes;
    event.bytes = await blob.slice(start, start + size).arrayBuffer();
  }
  return events;
}

/**
 * A relay wired to fake ports and a manual clock. It is woken at once (as a page's first event would) unless
 * `idle`: most tests are about a connected relay.
 */
function setup(options: { topLevel?: boolean; sessionId?: string; idle?: boolean } = {}) {
  const ports: FakePort[] = [];
  const toPage: RelayToPageMessage[] = [];
  let timers: Array<{ callback: () => void; ms: number }> = [];
  const reconnectDelays: number[] = [];
  let valid = true;
  let connectThrows = false;
  const env: RelayEnvironment = {
    connect: () => {
      if (connectThrows) throw new Error('Extension context invalidated.');
      const port = new FakePort();
      ports.push(port);
      return port;
    },
    contextValid: () => valid,
    // Like a MessagePort: what is transferred is detached here.
    postToPage: (m, transfer) => void toPage.push(transfer?.length ? structuredClone(m, { transfer }) : m),
    setTimer: (callback, ms) => {
      timers.push({ callback, ms });
      // Reconnect timers are told apart from flush timers by what they call (their delays can coincide).
      if (callback.toString().includes('openPort')) reconnectDelays.push(ms);
    },
    topLevel: options.topLevel ?? true,
    pageUrl: 'https://example.test/app',
    origin: 'https://example.test',
    frameUrl: () => 'https://example.test/app',
    title: () => title,
    startedAt: 1000,
    sessionId: 'sessionId' in options ? options.sessionId : 'session-1',
  };
  let title = 'App';
  const relay = new CaptureRelay(env);
  if (!options.idle) relay.wake();
  return {
    setTitle: (value: string) => (title = value),
    relay,
    ports,
    toPage,
    port: () => ports[ports.length - 1],
    /** Runs every timer due now, and those they schedule, until none is left; returns how many rounds (tasks) ran. */
    runTimers(): number {
      let round = 0;
      for (; round < 1000 && timers.length > 0; round++) {
        const due = timers;
        timers = [];
        for (const t of due) t.callback();
      }
      return round;
    },
    reconnectDelays,
    invalidate: () => (valid = false),
    failConnect: () => (connectThrows = true),
  };
}

/** A page batch as the hook posts it: here every event travels whole (the hook's plain rows: see `plainRows`). */
const page = (...events: PageEvent[]) => ({ ns: NAMESPACE, type: 'page-events', ids: [], rows: Float64Array.from(events.flatMap((_, i) => [PACKED_EXTRA, i, 0, 0, 0])), text: '', events });
/** A page batch of plain text rows, as the hook posts text frames. */
const plainRows = (id: string, frames: Array<[seq: number, text: string]>) => ({
  ns: NAMESPACE,
  type: 'page-events',
  ids: [id],
  rows: Float64Array.from(frames.flatMap(([seq, data]) => [frameCodeOf('send', 1, 'page', 'sent'), 0, seq, seq, data.length])),
  text: frames.map(([, data]) => data).join(''),
  events: [],
});
const connect = (id = 's1'): PageEvent => ({ k: 'connect', socketId: id, url: 'wss://x/', protocols: [], frameUrl: 'https://example.test/app', time: 1 });
const text = (seq: number, data: string, id = 's1'): PageEvent => ({ k: 'frame', socketId: id, seq, time: seq, dir: 'send', data, origin: 'page', status: 'sent' });
const welcome = (sessionId = 'session-1') => ({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId });
/** Each event's payload (binary as base64, also where the background unpacked raw bytes) or its kind. */
const payloads = (events: WireEvent[]) =>
  events.map((e) => (e.k === 'frame' && e.bytes !== undefined ? Buffer.from(bytesOf(e.bytes)).toString('base64') : 'payload' in e ? e.payload : e.k));
function bytesOf(bytes: ArrayBuffer | BlobBytes): ArrayBuffer {
  if (bytes instanceof ArrayBuffer) return bytes;
  throw new Error('a payload still in its Blob: use readBatches()');
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('CaptureRelay', () => {
  it('says hello first and sends no batch before the welcome', () => {
    const t = setup();
    expect(t.ports).toHaveLength(1);
    expect(t.port().posted).toEqual([
      { ns: NAMESPACE, type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId: 'session-1', topLevel: true, pageUrl: 'https://example.test/app', title: 'App', startedAt: 1000 },
    ]);
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.runTimers();
    expect(t.port().batches()).toHaveLength(0);
    t.port().deliver(welcome());
    const batches = t.port().batches();
    expect(batches).toHaveLength(1);
    expect(batches[0].batchSeq).toBe(1);
    expect(payloads(batches[0].events)).toEqual(['connect', 'a']);
  });

  it('ignores messages without our namespace, from the page or the background', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage({ type: 'page-events', ids: [], rows: Float64Array.of(PACKED_EXTRA, 0, 0, 0, 0), text: '', events: [connect()] });
    t.relay.acceptPageMessage(null);
    t.runTimers();
    expect(t.port().batches()).toHaveLength(0);
  });

  it('keeps batches until acknowledged; an ack drops every batch up to its number', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.runTimers();
    t.relay.acceptPageMessage(page(text(2, 'b')));
    t.runTimers();
    t.relay.acceptPageMessage(page(text(3, 'c')));
    t.runTimers();
    expect(t.port().batches().map((b) => b.batchSeq)).toEqual([1, 2, 3]);
    expect(t.relay.unackedCount).toBe(3);
    t.port().deliver({ type: 'ack', batchSeq: 2 });
    expect(t.relay.unackedCount).toBe(1);
    t.port().deliver({ type: 'ack', batchSeq: 3 });
    expect(t.relay.unackedCount).toBe(0);
  });

  it('after a disconnect, reconnects, says hello with the session it was welcomed into and resends only the unacked, in order', () => {
    const t = setup({ topLevel: false, sessionId: undefined });
    const first = t.port();
    first.deliver(welcome('from-background'));
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.runTimers();
    t.relay.acceptPageMessage(page(text(2, 'b')));
    t.runTimers();
    t.relay.acceptPageMessage(page(text(3, 'c')));
    t.runTimers();
    first.deliver({ type: 'ack', batchSeq: 1 });
    first.drop(); // the service worker stopped: batches 2 and 3 may or may not be stored
    t.relay.acceptPageMessage(page(text(4, 'd'))); // the page keeps sending meanwhile
    t.runTimers();
    expect(t.ports).toHaveLength(2);
    const second = t.port();
    expect(second.posted[0]).toMatchObject({ type: 'hello', sessionId: 'from-background', topLevel: false });
    expect(second.batches()).toHaveLength(0);
    second.deliver(welcome('from-background'));
    const resent = second.batches();
    expect(resent.map((b) => b.batchSeq)).toEqual([2, 3, 4]);
    expect(resent.flatMap((b) => payloads(b.events))).toEqual(['b', 'c', 'd']);
    // A late message from the old port is not mistaken for the new one.
    first.deliver({ type: 'ack', batchSeq: 4 });
    expect(t.relay.unackedCount).toBe(3);
    second.deliver({ type: 'ack', batchSeq: 4 });
    expect(t.relay.unackedCount).toBe(0);
  });

  it('reconnects with growing delays while the worker cannot be reached, and from zero again after an ack', () => {
    const t = setup();
    t.relay.acceptPageMessage(page(connect())); // held until welcomed: worth reconnecting for
    for (let i = 0; i < 7; i++) {
      t.port().drop();
      t.runTimers();
    }
    expect(t.ports).toHaveLength(8);
    expect(t.reconnectDelays).toEqual([0, 50, 200, 500, 1000, 2000, 2000]);
    t.port().deliver(welcome());
    expect(t.port().batches()).toHaveLength(1);
    t.port().deliver({ type: 'ack', batchSeq: 1 });
    t.relay.acceptPageMessage(page(text(1, 'a')));
    t.port().drop();
    t.runTimers();
    expect(t.reconnectDelays.at(-1)).toBe(0);
    t.port().deliver(welcome());
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['a']);
  });

  it('connects only when the page hook has something to say: a page without WebSockets never wakes the worker', () => {
    const t = setup({ idle: true });
    t.runTimers();
    expect(t.ports).toHaveLength(0);
    expect(t.relay.connected).toBe(false);
    t.setTitle('Loaded later'); // the hello is said when connecting, so it carries the title the page has then
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    expect(t.ports).toHaveLength(1);
    expect(t.port().posted[0]).toMatchObject({ type: 'hello', sessionId: 'session-1', title: 'Loaded later', startedAt: 1000 });
    t.port().deliver(welcome());
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'a']);
  });

  it('with everything acknowledged, a dropped port stays closed until the next page event or a wake', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.port().deliver({ type: 'ack', batchSeq: 1 });
    t.port().drop(); // the worker went to sleep
    t.runTimers();
    expect(t.ports).toHaveLength(1);
    expect(t.relay.connected).toBe(false);
    t.relay.wake();
    t.relay.wake(); // a second wake while connecting opens nothing more
    expect(t.ports).toHaveLength(2);
    t.port().deliver(welcome());
    t.port().drop();
    t.runTimers();
    expect(t.ports).toHaveLength(2);
    t.relay.acceptPageMessage(page(text(2, 'b')));
    expect(t.ports).toHaveLength(3);
    t.port().deliver(welcome());
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['b']);
  });

  it('a page event while a reconnect is scheduled waits for it rather than opening a second port', () => {
    const t = setup();
    t.relay.acceptPageMessage(page(connect()));
    t.port().drop();
    t.relay.acceptPageMessage(page(text(1, 'a')));
    expect(t.ports).toHaveLength(1);
    t.runTimers();
    expect(t.ports).toHaveLength(2);
    t.port().deliver(welcome());
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'a']);
  });

  it('a command delivered twice (the background hands it to each port welcomed while it waits) reaches the page once', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect()));
    t.port().deliver({ type: 'ack', batchSeq: 1 });
    const command = { type: 'command', requestId: 'r1', command: { kind: 'send', connectionId: 's1', encoding: 'text', payload: 'hi' } };
    t.port().deliver(command);
    t.port().drop();
    t.relay.wake();
    expect(t.ports).toHaveLength(2);
    t.port().deliver(welcome());
    t.port().deliver(command);
    t.port().deliver({ ...command, requestId: 'r2' });
    expect(t.toPage.filter((m) => m.type === 'command').map((m) => (m as { requestId: string }).requestId)).toEqual(['r1', 'r2']);
  });

  it('hands stored intercept rules to the page compiled; none stored means nothing to say; an empty list lifts them', () => {
    const t = setup({ idle: true });
    t.relay.applyRules(undefined);
    t.relay.applyRules({ rules: 'not a list' });
    expect(t.toPage).toEqual([]);
    const rule = { id: 'r', name: 'no secrets', enabled: true, direction: 'send', urlPattern: '', pattern: 'secret', regex: false, action: 'block', replacement: '' };
    t.relay.applyRules({ rules: [rule, null], holdTimeoutMs: 5000 });
    expect(t.toPage).toHaveLength(1);
    const given = t.toPage[0] as Extract<RelayToPageMessage, { type: 'command' }>;
    expect(given.command).toMatchObject({ kind: 'set-rules', holdTimeoutMs: 5000 });
    const compiled = (given.command as { rules: Array<{ pattern?: RegExp }> }).rules;
    expect(compiled).toHaveLength(1);
    expect(compiled[0].pattern).toBeInstanceOf(RegExp);
    t.relay.applyRules({ rules: [] });
    expect(t.toPage[1]).toMatchObject({ type: 'command', command: { kind: 'set-rules', rules: [], holdTimeoutMs: 30_000 } });
    expect(t.ports).toHaveLength(0); // rules never need the worker
  });

  it('the top frame tells its page load (for the background\'s session-query) without connecting; subframes do not', () => {
    const top = setup({ idle: true });
    top.setTitle('Now titled');
    expect(top.relay.sessionInfo()).toEqual({ sessionId: 'session-1', pageUrl: 'https://example.test/app', title: 'Now titled', startedAt: 1000 });
    expect(top.ports).toHaveLength(0);
    expect(setup({ idle: true, topLevel: false, sessionId: undefined }).relay.sessionInfo()).toBeUndefined();
  });

  it('with batches to resend, only an ack (not a welcome) resets the backoff, so a failing background is not hammered', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.runTimers();
    for (let i = 0; i < 4; i++) {
      // Welcomed, the batch is resent, and the background drops the port because it could not store it.
      t.port().drop();
      t.runTimers();
      t.port().deliver(welcome());
    }
    expect(t.reconnectDelays).toEqual([0, 50, 200, 500]);
    expect(t.port().batches().map((b) => b.batchSeq)).toEqual([1]);
    t.port().deliver({ type: 'ack', batchSeq: 1 });
    t.relay.acceptPageMessage(page(text(2, 'b')));
    t.port().drop();
    t.runTimers();
    expect(t.reconnectDelays.at(-1)).toBe(0);
  });

  it('a post that throws counts as a disconnect and is retried on a new port', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.port().failPosts = true;
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.runTimers();
    expect(t.ports.length).toBeGreaterThanOrEqual(2);
    t.port().deliver(welcome());
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'a']);
  });

  it('stops for good when the extension context is invalid: tells the page, never reconnects, drops what it held', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    t.invalidate();
    t.port().drop();
    t.runTimers();
    expect(t.relay.isStopped).toBe(true);
    expect(t.ports).toHaveLength(1);
    expect(t.toPage).toEqual([{ ns: NAMESPACE, type: 'stop' }]);
    expect(t.relay.unackedCount).toBe(0);
    t.relay.acceptPageMessage(page(text(2, 'b')));
    t.runTimers();
    expect(t.ports).toHaveLength(1);
    expect(t.relay.unackedCount).toBe(0);
  });

  it('stops quietly when connecting throws (extension reloaded), and tells the page', () => {
    const t = setup();
    t.relay.acceptPageMessage(page(connect()));
    t.failConnect();
    t.port().drop();
    expect(() => t.runTimers()).not.toThrow();
    expect(t.relay.isStopped).toBe(true);
    expect(t.toPage).toEqual([{ ns: NAMESPACE, type: 'stop' }]);
  });

  it('a relay whose context is already invalid stops when it first wants its port', () => {
    const ports: FakePort[] = [];
    const toPage: RelayToPageMessage[] = [];
    const relay = new CaptureRelay({
      connect: () => {
        const p = new FakePort();
        ports.push(p);
        return p;
      },
      contextValid: () => false,
      postToPage: (m) => void toPage.push(m),
      setTimer: () => undefined,
      topLevel: true,
      pageUrl: 'x',
      origin: 'null',
      frameUrl: () => 'x',
      title: () => '',
      startedAt: 0,
    });
    relay.acceptPageMessage(page(connect()));
    expect(relay.isStopped).toBe(true);
    expect(ports).toHaveLength(0);
    expect(toPage).toEqual([{ ns: NAMESPACE, type: 'stop' }]);
  });

  it('keeps page order across a Blob that is read asynchronously', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const blobFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: new Blob([new Uint8Array([1, 2, 3])]), origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), blobFrame, text(3, 'after')));
    t.relay.acceptPageMessage(page(text(4, 'next message')));
    t.runTimers();
    // Nothing after the Blob may overtake it while it is being read.
    const sentSoFar = t.port().batches().flatMap((b) => payloads(b.events));
    expect(sentSoFar).toEqual(['connect', 'before']);
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const all = t.port().batches().flatMap((b) => b.events);
    expect(payloads(all)).toEqual(['connect', 'before', 'AQID', 'after', 'next message']);
    expect(all[2]).toMatchObject({ k: 'frame', seq: 2, opcode: 2, encoding: 'bytes', size: 3 });
  });

  it('carries the hook\'s plain text rows into the batch with their seq, time and text, no object per frame', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect()));
    t.relay.acceptPageMessage(plainRows('s1', [[1, 'héllo'], [2, ''], [3, '{"a":1}']]));
    t.runTimers();
    // Each hook batch is posted on at once: the connect event, then the rows, which travel as no objects at all.
    const [first, second] = t.port().batches();
    expect(first.packed.extra).toHaveLength(1);
    expect(second.packed.extra).toHaveLength(0);
    expect(second.events).toEqual([1, 2, 3].map((seq, i) => ({
      k: 'frame', connectionId: 's1', seq, time: seq, dir: 'send', opcode: 1, encoding: 'text',
      payload: ['héllo', '', '{"a":1}'][i], size: [6, 0, 7][i], origin: 'page', status: 'sent',
    })));
  });

  it('passes a hook batch of plain rows and simple events on as it came: same rows, same text, same bytes', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const sendCode = frameCodeOf('send', 1, 'page', 'sent');
    const binaryCode = frameCodeOf('receive', 2, 'page', 'sent');
    const rows = Float64Array.from([
      PACKED_EXTRA, 0, 0, 0, 0,
      sendCode, 0, 1, 10.25, 2,
      binaryCode, 0, 2, 11.5, 3,
      sendCode, 1, 1, 12, 3,
      PACKED_EXTRA, 1, 0, 0, 0,
    ]);
    const open: PageEvent = { k: 'open', socketId: 's1', seq: 3, time: 13, protocol: '', extensions: '' };
    t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-events', ids: ['s1', 's2', 'unused'], rows, text: 'hiabc', binary: new Uint8Array([1, 2, 255]).buffer, events: [connect('s1'), open] });
    const [batch] = t.port().posted.filter((m) => m.type === 'batch');
    expect(batch.packed.rows).toEqual(rows);
    // Passed on, not rebuilt: a rebuilt batch would list only the ids its rows use.
    expect(batch.packed.ids).toEqual(['s1', 's2', 'unused']);
    expect(batch.packed.payloads).toBe('hiabc');
    const [read] = await t.port().readBatches();
    expect(payloads(read.events)).toEqual(['connect', 'hi', 'AQL/', 'abc', 'open']);
    expect(read.events[2]).toMatchObject({ connectionId: 's1', seq: 2, time: 11.5, dir: 'receive', size: 3 });
    expect(read.events[3]).toMatchObject({ connectionId: 's2', seq: 1, time: 12 });
    // The connect in a passed-on batch still tells the relay which sockets are this frame's.
    t.port().deliver({ type: 'command', requestId: 'r1', command: { kind: 'send', connectionId: 's1', encoding: 'text', payload: 'x' } });
    expect(t.toPage.filter((m) => m.type === 'command')).toHaveLength(1);
  });

  it('hands a big batch buffer back to the hook once its bytes are in a Blob, and keeps a small one it still posts', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const code = frameCodeOf('receive', 2, 'page', 'sent');
    const bigBatch = (seq: number, size: number, capacity: number) => {
      const buffer = new ArrayBuffer(capacity); // the hook's buffer: longer than the bytes its rows count
      new Uint8Array(buffer, 0, size).fill(seq);
      return { ns: NAMESPACE, type: 'page-events', ids: ['s1'], rows: Float64Array.from([code, 0, seq, seq, size]), text: '', binary: buffer, events: [] };
    };
    const big = bigBatch(1, 70_000, 100_000);
    t.relay.acceptPageMessage(big);
    const spare = t.toPage.filter((m) => m.type === 'spare-buffer');
    expect(spare).toHaveLength(1);
    expect((spare[0] as { buffer: ArrayBuffer }).buffer.byteLength).toBe(100_000);
    expect(big.binary.byteLength).toBe(0); // transferred
    t.relay.acceptPageMessage(bigBatch(2, 10, 1 << 16)); // small: posted as a slice, so the buffer could go back too
    t.relay.acceptPageMessage(bigBatch(3, 10, 10)); // a small buffer, posted as it is: not handed back
    expect(t.toPage.filter((m) => m.type === 'spare-buffer')).toHaveLength(2);
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.map((e) => ('size' in e ? e.size : 0))).toEqual([70_000, 10, 10]);
    expect(payloads(events)[0]).toBe(Buffer.alloc(70_000, 1).toString('base64'));
  });

  it('rebuilds a hook batch row by row when its rows do not agree with its payloads, skipping rows it cannot read', () => {
    const t = setup();
    t.port().deliver(welcome());
    const sendCode = frameCodeOf('send', 1, 'page', 'sent');
    const rows = Float64Array.from([sendCode, 0, 1, 1, 2, 999, 0, 2, 2, 1, sendCode, 0, 3, 3, 1]);
    t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-events', ids: ['s1'], rows, text: 'abc', events: [] });
    const [batch] = t.port().batches();
    expect(payloads(batch.events)).toEqual(['ab', 'c']);
    expect(batch.events.map((e) => ('seq' in e ? e.seq : 0))).toEqual([1, 3]);
  });

  it('plain rows wait behind a Blob being read, in page order', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const blobFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: new Blob([new Uint8Array([1, 2, 3])]), origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), blobFrame));
    t.relay.acceptPageMessage(plainRows('s1', [[3, 'after'], [4, 'later']]));
    t.runTimers();
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'before']);
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const all = t.port().batches().flatMap((b) => b.events);
    expect(payloads(all)).toEqual(['connect', 'before', 'AQID', 'after', 'later']);
    expect(all.map((e) => ('seq' in e ? e.seq : 0))).toEqual([0, 1, 2, 3, 4]);
  });

  it('a Blob that cannot be read is stored empty with a note, and order is kept', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const unreadable = { arrayBuffer: () => Promise.reject(new Error('gone')) } as unknown as Blob;
    const frame: PageEvent = { k: 'frame', socketId: 's1', seq: 1, time: 1, dir: 'send', data: unreadable, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), frame, text(2, 'after')));
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const all = t.port().batches().flatMap((b) => b.events);
    expect(payloads(all)).toEqual(['connect', '', 'after']);
    expect(all[1]).toMatchObject({ size: 0, note: expect.stringContaining('gone') });
  });

  it('sends large frames as Blobs built a slice per task, in page order, and the background reads them back exactly', async () => {
    const t = setup();
    t.port().deliver(welcome());
    // A surrogate pair straddles the first slice boundary; the binary frame is not a whole number of slices.
    const big = 'z'.repeat(LARGE_SLICE - 1) + '😀' + 'é'.repeat(PLAIN_PAYLOAD_MAX);
    const bytes = Uint8Array.from({ length: PLAIN_PAYLOAD_MAX + 3 * LARGE_SLICE + 7 }, (_, i) => (i * 7) & 255);
    const binary: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: bytes.slice().buffer, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), text(1, big), binary, text(3, 'small')));
    t.relay.acceptPageMessage(plainRows('s1', [[4, 'row after']]));
    // Nothing after a large frame overtakes it while its Blob is being built.
    expect((await t.port().readBatches()).flatMap((b) => b.events).map((e) => e.k)).toEqual(['connect']);
    // One slice per task: the text is 4 slices, the binary 6, the first slice of each where it starts; the binary's
    // is begun on arrival, beside the text's, so 5 rounds of timers.
    expect(t.runTimers()).toBe(5);
    const batches = await t.port().readBatches();
    for (const b of batches) for (const blob of b.packed.large) expect(blob).toBeInstanceOf(Blob);
    const events = batches.flatMap((b) => b.events);
    expect(events.map((e) => (e.k === 'frame' ? e.seq : e.k))).toEqual(['connect', 1, 2, 3, 4]);
    expect(events[1]).toMatchObject({ k: 'frame', opcode: 1, encoding: 'text', dir: 'send', size: new TextEncoder().encode(big).byteLength });
    expect((events[1] as { payload: string }).payload === big).toBe(true);
    expect(events[2]).toMatchObject({ k: 'frame', opcode: 2, encoding: 'bytes', dir: 'receive', size: bytes.byteLength });
    expect(payloads(events)[2]).toBe(Buffer.from(bytes).toString('base64'));
    expect(events[3]).toMatchObject({ payload: 'small' });
    expect(events[4]).toMatchObject({ payload: 'row after' });
  });

  it('a large frame in a reused buffer bigger than it sends only its own bytes, and the buffer goes back to the hook', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const length = PLAIN_PAYLOAD_MAX + LARGE_SLICE + 3;
    const buffer = Uint8Array.from({ length: length + 1000 }, (_, i) => (i * 13) & 255).buffer;
    const reused: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: buffer, byteLength: length, origin: 'page', status: 'sent' };
    const original = buffer.slice(0);
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), reused));
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events[2]).toMatchObject({ k: 'frame', seq: 2, size: length });
    expect(payloads(events)[2]).toBe(Buffer.from(original, 0, length).toString('base64'));
    // Handed back once its Blob is made: the hook copies its next large frame into memory it has touched.
    expect(t.toPage.filter((m) => m.type === 'spare-buffer').map((m) => (m as { buffer: ArrayBuffer }).buffer)).toEqual([original]);
    expect(buffer.byteLength).toBe(0);
  });

  it('begins a large binary frame\'s Blob on arrival, so its buffer goes back while a large text before it still waits for pieces', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const textFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 1, time: 1, dir: 'send', data: '', pieces: 1, origin: 'page', status: 'sent' };
    const bytes = Uint8Array.from({ length: PLAIN_PAYLOAD_MAX + 1 }, (_, i) => i & 255);
    const buffer = bytes.slice().buffer;
    const binaryFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: buffer, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), textFrame, binaryFrame));
    t.runTimers();
    expect(t.toPage.filter((m) => m.type === 'spare-buffer').map((m) => (m as { buffer: ArrayBuffer }).buffer)).toEqual([bytes.buffer]);
    expect((await t.port().readBatches()).flatMap((b) => b.events).map((e) => e.k)).toEqual(['connect']); // still in order
    expect(buffer.byteLength).toBe(0); // transferred back: the frame's bytes are in its Blob already
    const text = 'ü'.repeat(PLAIN_PAYLOAD_MAX + 1);
    t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-text-piece', piece: new Blob([text]) });
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.map((e) => (e.k === 'frame' ? e.seq : e.k))).toEqual(['connect', 1, 2]);
    expect((events[1] as { payload: string }).payload === text).toBe(true);
    expect(payloads(events)[2]).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('a frame claiming a byteLength it cannot have, or one with a note, keeps exactly its own bytes and is not handed back', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const buffer = Uint8Array.from({ length: 2000 }, (_, i) => i & 255).buffer;
    const noted: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'send', data: buffer.slice(0), byteLength: 1000, origin: 'page', status: 'refused', note: 'closed' };
    const tooLong: PageEvent = { k: 'frame', socketId: 's1', seq: 3, time: 3, dir: 'send', data: buffer.slice(0), byteLength: 5000, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), noted, tooLong));
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.slice(1).map((e) => (e.k === 'frame' ? [e.seq, e.size] : e.k))).toEqual([[2, 1000], [3, 2000]]);
    expect(t.toPage.filter((m) => m.type === 'spare-buffer')).toEqual([]);
  });

  it('joins a large text that arrives in pieces after its frame, even while an earlier Blob is still being read', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const blobFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: new Blob([new Uint8Array([9])]), origin: 'page', status: 'sent' };
    const large: PageEvent = { k: 'frame', socketId: 's1', seq: 3, time: 3, dir: 'receive', data: '', pieces: 2, origin: 'page', status: 'sent' };
    const pieces = ['a'.repeat(PLAIN_PAYLOAD_MAX) + '😀', 'é'.repeat(1000)];
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), blobFrame, large, text(4, 'after')));
    for (const piece of pieces) t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-text-piece', piece: new Blob([piece]) });
    t.relay.acceptPageMessage(plainRows('s1', [[5, 'row after']]));
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.map((e) => (e.k === 'frame' ? e.seq : e.k))).toEqual(['connect', 1, 2, 3, 4, 5]);
    expect(events[3]).toMatchObject({ k: 'frame', opcode: 1, encoding: 'text', dir: 'receive', size: new TextEncoder().encode(pieces.join('')).byteLength });
    expect((events[3] as { payload: string }).payload === pieces.join('')).toBe(true);
  });

  it('sends at most about one batch weight per task, and the rest on the next timer', () => {
    const t = setup();
    const chunk = 'q'.repeat(MAX_BATCH_WEIGHT / 2);
    // Queue three sealed batches' worth of events before the welcome.
    t.relay.acceptPageMessage(page(connect(), text(1, chunk), text(2, chunk), text(3, chunk), text(4, chunk)));
    t.relay.flush();
    expect(t.port().batches()).toHaveLength(0);
    t.port().deliver(welcome());
    const firstTask = t.port().batches().length;
    expect(firstTask).toBeGreaterThanOrEqual(1);
    t.runTimers();
    const all = t.port().batches();
    expect(all.length).toBeGreaterThan(firstTask);
    expect(all.flatMap((b) => b.events).filter((e) => e.k === 'frame')).toHaveLength(4);
  });

  it('stores a connection under the frame URL of its own location, never the one a page event names', () => {
    const t = setup();
    t.port().deliver(welcome());
    const forged = { ...connect('f1'), frameUrl: 'https://victim.example/inbox' } as PageEvent;
    t.relay.acceptPageMessage(page(forged)); // passed on whole
    t.relay.acceptPageMessage(page({ ...connect('f2'), frameUrl: 'https://victim.example/' } as PageEvent, text(1, 'a', 'f2'))); // rebuilt row by row
    t.runTimers();
    const connects = t.port().batches().flatMap((b) => b.events).filter((e) => e.k === 'connect');
    expect(connects.map((e) => e.k === 'connect' && e.frameUrl)).toEqual(['https://example.test/app', 'https://example.test/app']);
  });

  it('on pagehide sends everything it holds at once, without waiting for a welcome, then a goodbye naming its open connections', () => {
    const t = setup({ idle: true });
    t.relay.acceptPageMessage(page(connect('a'), connect('b'), text(1, 'last', 'a'), { k: 'close', socketId: 'b', seq: 1, time: 2, code: 1000, reason: '', wasClean: true }));
    expect(t.port().batches()).toHaveLength(0); // not welcomed yet
    t.relay.pageHidden();
    const posted = t.port().posted.map((m) => m.type);
    expect(posted).toEqual(['hello', 'batch', 'goodbye']);
    expect(payloads(t.port().batches()[0].events)).toEqual(['connect', 'connect', 'last', 'close']);
    expect(t.port().posted[2]).toMatchObject({ type: 'goodbye', openConnections: ['a'] });
  });

  it('takes the hook\'s last words before its own pagehide: they go with everything else, before the goodbye', () => {
    const t = setup({ idle: true });
    t.relay.acceptPageMessage(page(connect('a')));
    t.relay.acceptLastWords({ reason: 'pagehide', messages: [page(text(1, 'last', 'a'))] });
    t.relay.pageHidden();
    expect(t.port().posted.map((m) => m.type)).toEqual(['hello', 'batch', 'batch', 'goodbye']);
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'last']);
  });

  it('last words after its goodbye (the page sent in its own pagehide listener) go at once, with another goodbye', () => {
    const t = setup({ idle: true });
    t.relay.acceptPageMessage(page(connect('a')));
    t.relay.pageHidden();
    t.relay.acceptLastWords({ reason: 'pagehide', messages: [page(text(1, 'logout', 'a'))] });
    expect(t.port().posted.map((m) => m.type)).toEqual(['hello', 'batch', 'goodbye', 'batch', 'goodbye']);
    expect(payloads(t.port().batches()[1].events)).toEqual(['logout']);
    // Shown again (back/forward cache): last words of a freeze go at once, with no goodbye.
    t.relay.pageShown();
    t.relay.acceptLastWords({ reason: 'freeze', messages: [page(text(2, 'frozen', 'a'))] });
    expect(t.port().posted.map((m) => m.type).slice(5)).toEqual(['batch']);
  });

  it('ignores last words that are not a list of page messages', () => {
    const t = setup({ idle: true });
    for (const bad of [null, 'x', { reason: 'pagehide' }, { reason: 'pagehide', messages: [{ type: 'page-events' }, 5] }]) t.relay.acceptLastWords(bad);
    expect(t.ports).toHaveLength(0);
  });

  it('a relay reconnecting names its connections still open in its hello (a restarted background ends them if the page goes)', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect('a')));
    t.port().drop();
    t.runTimers();
    expect(t.port().posted[0]).toMatchObject({ type: 'hello', openConnections: ['a'] });
  });

  it('a failed hand-over connects and says so once welcomed, under its own frame URL', () => {
    const t = setup({ idle: true });
    t.relay.handoverFailed();
    expect(t.ports).toHaveLength(1);
    t.port().deliver(welcome());
    expect(t.port().posted[1]).toMatchObject({ type: 'capture-gap', reason: 'hand-over-failed', frameUrl: 'https://example.test/app' });
  });
});
