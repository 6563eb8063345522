import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CaptureRouter, type CaptureRouterDeps } from '@/lib/worker/capture-router';
import { PeerPort, until } from './worker/fixtures';
import { connectionFrames, deleteSession, listConnections, newSession, ensureSession, openFrameStore } from '@/lib/store/frame-store';
import { NAMESPACE, PROTOCOL_VERSION, frameCodeOf, type BackgroundToRelayMessage, type PageSessionInfo, type WireEvent, type WireFrameEvent } from '@/lib/shared/protocol';
import { splitFrame } from '@/lib/shared/wire';
import { PackedBatchBuilder, packWireEvents } from '@/lib/shared/packed-batch';

/** A relay's end of its capture port: a batch given as `events` is packed first, as the relay packs it. */
class RelayPeer extends PeerPort<BackgroundToRelayMessage> {
  override send(body: Record<string, unknown>): void {
    if (body.type === 'batch' && Array.isArray(body.events)) {
      const { events, ...rest } = body;
      body = { ...rest, packed: packWireEvents(events as WireEvent[]) };
    }
    super.send(body);
  }
  acks(): number[] {
    return this.posted.flatMap((m) => (m.type === 'ack' ? [m.batchSeq] : []));
  }
  welcome() {
    return this.posted.find((m): m is Extract<BackgroundToRelayMessage, { type: 'welcome' }> => m.type === 'welcome');
  }
}

let dbCounter = 0;
async function setup(tabId = 7, options: { paused?: boolean; topFrame?: PageSessionInfo } = {}) {
  const db = await openFrameStore(`router-test-${++dbCounter}`);
  const errors: unknown[] = [];
  const started: string[] = [];
  const stored: string[][] = [];
  const deps: CaptureRouterDeps = {
    db: async () => db,
    paused: { has: () => options.paused ?? false, loaded: Promise.resolve() },
    // The tab's panels hear of sessions started and rows stored.
    panels: {
      toTab: (_tab, msg) => {
        if (msg.type === 'session-started') started.push(msg.sessionId);
        if (msg.type === 'stored') stored.push(msg.connectionIds);
      },
      toAll: () => undefined,
    },
    wakeTab: async () => true,
    topFrameSession: async () => options.topFrame,
    log: (e: unknown) => void errors.push(e),
  };
  const router = new CaptureRouter(deps);
  const attach = (tab = tabId) => {
    const port = new RelayPeer();
    const connection = router.addCapturePort(port.port, tab);
    return { port, connection };
  };
  return { db, deps, errors, started, stored, attach };
}

/** Lets queued work finish when we expect nothing to happen. */
const settle = () => new Promise((r) => setTimeout(r, 50));

const hello = (sessionId: string | undefined, topLevel = true) => ({
  type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId, topLevel, pageUrl: topLevel ? 'https://app.test/' : 'https://app.test/frame', title: 'App',
});
const connectEvent = (id = 'c1'): WireEvent => ({ k: 'connect', connectionId: id, url: 'wss://app.test/ws', protocols: ['v1'], frameUrl: 'https://app.test/', time: 100 });
const textFrame = (seq: number, payload: string, id = 'c1'): WireFrameEvent => ({
  k: 'frame', connectionId: id, seq, time: 100 + seq, dir: 'send', opcode: 1, encoding: 'text', payload, size: payload.length, origin: 'page', status: 'sent',
});

async function welcomed(t: Awaited<ReturnType<typeof setup>>, sessionId: string | undefined, topLevel = true, tab?: number) {
  const side = t.attach(tab);
  side.port.send(hello(sessionId, topLevel));
  await until(() => side.port.welcome() !== undefined, 'welcome');
  return side;
}

describe('CaptureRouter: storing', () => {
  it('welcomes a top frame into the session it names, created for its tab', async () => {
    const t = await setup();
    const { port, connection } = await welcomed(t, 'top-session');
    expect(port.welcome()).toEqual({ ns: NAMESPACE, type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId: 'top-session' });
    expect(connection.sessionId).toBe('top-session');
    expect(await t.db.get('sessions', 'top-session')).toMatchObject({ tabId: 7, pageUrl: 'https://app.test/', title: 'App', source: 'captured' });
    expect(t.started).toEqual(['top-session']);
  });

  it('writes a batch, then acknowledges it; the same batch resent is stored once and acknowledged again', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    const events = [connectEvent(), textFrame(1, 'a'), textFrame(2, 'b')];
    port.send({ type: 'batch', batchSeq: 1, events });
    await until(() => port.acks().length === 1, 'first ack');
    // The worker restarted before the relay saw the ack: it resends on a new port.
    const again = t.attach();
    again.port.send(hello('s1'));
    again.port.send({ type: 'batch', batchSeq: 1, events });
    again.port.send({ type: 'batch', batchSeq: 2, events: [textFrame(2, 'b'), textFrame(3, 'c')] });
    await until(() => again.port.acks().length === 2, 'acks after resend');
    expect(again.port.acks()).toEqual([1, 2]);
    const frames = await connectionFrames(t.db, 's1', 'c1');
    expect(frames.map((f) => [f.seq, f.data])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const [connection] = await listConnections(t.db, 's1');
    expect(connection).toMatchObject({ sentCount: 3, sentBytes: 3, lastSeq: 3 });
    expect(await t.db.get('sessions', 's1')).toMatchObject({ connectionCount: 1, frameCount: 3, bytes: 3 });
  });

  it('stores binary rows byte-exact as they came in the batch, each its own buffer, with counts and sizes', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    const builder = new PackedBatchBuilder();
    builder.add(connectEvent());
    const code = frameCodeOf('receive', 2, 'page', 'sent');
    builder.addBinaryFrame('c1', code, 1, 101, new Uint8Array([0, 1, 255]));
    builder.addBinaryFrame('c1', code, 2, 102, new Uint8Array(0));
    builder.addBinaryFrame('c1', code, 3, 103, new Uint8Array([9, 8]));
    port.send({ type: 'batch', batchSeq: 1, packed: builder.seal() });
    await until(() => port.acks().length === 1, 'ack');
    const frames = await connectionFrames(t.db, 's1', 'c1');
    expect(frames.map((f) => [f.seq, f.opcode, f.size, [...new Uint8Array(f.data as ArrayBuffer)]])).toEqual([
      [1, 2, 3, [0, 1, 255]],
      [2, 2, 0, []],
      [3, 2, 2, [9, 8]],
    ]);
    const [connection] = await listConnections(t.db, 's1');
    expect(connection).toMatchObject({ receivedCount: 3, receivedBytes: 5 });
  });

  it('keeps binary that came in Blobs in a Blob per chunk, unread, and reads it back byte-exact', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    const builder = new PackedBatchBuilder();
    builder.add(connectEvent());
    const binary = frameCodeOf('receive', 2, 'page', 'sent');
    const frameBytes = (seq: number) => new Uint8Array(300).map((_, i) => (seq * 31 + i) & 255);
    // 300 frames of 300 bytes: over BLOB_MIN_BYTES, so the batch's bytes come as one Blob, and over CHUNK_ROWS.
    for (let seq = 1; seq <= 150; seq++) builder.addBinaryFrame('c1', binary, seq, 100 + seq, frameBytes(seq));
    builder.addLargeFrame('c1', binary, 151, 251, new Blob([frameBytes(151), frameBytes(151)]));
    builder.addLargeFrame('c1', frameCodeOf('receive', 1, 'page', 'sent'), 152, 252, new Blob(['large text']));
    for (let seq = 153; seq <= 302; seq++) builder.addBinaryFrame('c1', binary, seq, 100 + seq, frameBytes(seq));
    const sealed = builder.seal();
    expect(sealed.binary).toBeInstanceOf(Blob);
    port.send({ type: 'batch', batchSeq: 1, packed: sealed });
    await until(() => port.acks().length === 1, 'ack');
    expect(t.errors).toEqual([]);
    const chunks = await t.db.getAll('chunks');
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.bin).toBeInstanceOf(Blob);
      const framesHere = chunk.binRows!.map((i) => chunk.seq[i]);
      expect(chunk.bin!.size).toBe(framesHere.reduce((n, seq) => n + (seq === 151 ? 600 : 300), 0));
      for (const i of chunk.binRows!) expect(chunk.data[i]).toBeNull();
    }
    const frames = await connectionFrames(t.db, 's1', 'c1');
    expect(frames).toHaveLength(302);
    for (const frame of frames) {
      if (frame.seq === 152) {
        expect(frame.data).toBe('large text');
        continue;
      }
      const expected = frame.seq === 151 ? new Uint8Array([...frameBytes(151), ...frameBytes(151)]) : frameBytes(frame.seq);
      expect([frame.seq, [...new Uint8Array(frame.data as ArrayBuffer)]]).toEqual([frame.seq, [...expected]]);
    }
    const [connection] = await listConnections(t.db, 's1');
    expect(connection).toMatchObject({ receivedCount: 302, receivedBytes: 300 * 300 + 600 + 10 });
  });

  it('a session cleared while its page keeps capturing comes back with what follows the clear', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    const open: WireEvent = { k: 'open', connectionId: 'c1', seq: 1, time: 101, protocol: 'v1', extensions: 'permessage-deflate' };
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), open, textFrame(2, 'before'), connectEvent('c2'), { k: 'close', connectionId: 'c2', seq: 1, time: 102, code: 1000, reason: '', wasClean: true }] });
    await until(() => port.acks().length === 1, 'first ack');
    await deleteSession(t.db, 's1');
    t.started.length = 0;
    port.send({ type: 'batch', batchSeq: 2, events: [textFrame(3, 'after'), { ...textFrame(2, 'late'), connectionId: 'c2' }] });
    await until(() => port.acks().length === 2, 'ack after the clear');
    expect(t.started).toEqual(['s1']);
    expect(await t.db.get('sessions', 's1')).toMatchObject({ tabId: 7, frameCount: 2, rowCount: 2 });
    expect((await connectionFrames(t.db, 's1', 'c1')).map((f) => [f.seq, f.data, f.pos])).toEqual([[3, 'after', 0]]);
    // A connection still live when the session was cleared comes back as it was, not as a blank.
    const listed = await listConnections(t.db, 's1');
    const [c1, c2] = ['c1', 'c2'].map((id) => listed.find((c) => c.id === id));
    expect(c1).toMatchObject({ id: 'c1', url: 'wss://app.test/ws', protocols: ['v1'], frameUrl: 'https://app.test/', state: 'open', openedAt: 101, protocol: 'v1', extensions: 'permessage-deflate', startedAt: 100 });
    // A closed one is forgotten: nothing of it is left to recall.
    expect(c2).toMatchObject({ id: 'c2', url: '' });
  });

  it('holds parts until the frame is complete and withholds the ack until then', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    const big = textFrame(1, 'abcdefghijklmnopqrstuvwxyz');
    const parts = splitFrame(big, 10); // 3 chunks + the closing part
    expect(parts).toHaveLength(4);
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), parts[0]] });
    port.send({ type: 'batch', batchSeq: 2, events: [parts[1]] });
    await settle();
    expect(port.acks()).toEqual([]);
    expect(await connectionFrames(t.db, 's1', 'c1')).toEqual([]);
    expect(await listConnections(t.db, 's1')).toHaveLength(1); // the connect itself is written at once
    port.send({ type: 'batch', batchSeq: 3, events: [parts[2], parts[3], textFrame(2, 'after')] });
    await until(() => port.acks().length === 1, 'ack after the last part');
    expect(port.acks()).toEqual([3]);
    const frames = await connectionFrames(t.db, 's1', 'c1');
    expect(frames.map((f) => [f.seq, f.data, f.size])).toEqual([
      [1, 'abcdefghijklmnopqrstuvwxyz', 26],
      [2, 'after', 5],
    ]);
  });

  it('a frame resent in parts after a restart starts over and is stored once', async () => {
    const t = await setup();
    const first = await welcomed(t, 's1');
    const parts = splitFrame(textFrame(1, 'x'.repeat(30)), 10);
    first.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), parts[0], parts[1]] });
    await settle();
    first.port.drop();
    const second = await welcomed(t, 's1');
    second.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), parts[0], parts[1]] });
    second.port.send({ type: 'batch', batchSeq: 2, events: [parts[2], parts[3]] });
    await until(() => second.port.acks().length === 1, 'ack');
    const frames = await connectionFrames(t.db, 's1', 'c1');
    expect(frames.map((f) => f.data)).toEqual(['x'.repeat(30)]);
  });

  it('never writes into another tab’s session named in a hello', async () => {
    const t = await setup();
    const victim = await welcomed(t, 'victim-session', true, 1);
    victim.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent('v'), textFrame(1, 'secret', 'v')] });
    await until(() => victim.port.acks().length === 1, 'victim ack');

    const intruder = await welcomed(t, 'victim-session', true, 2);
    const intruderSession = intruder.port.welcome()!.sessionId;
    expect(intruderSession).not.toBe('victim-session');
    intruder.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent('v'), textFrame(1, 'overwrite', 'v'), textFrame(2, 'more', 'v')] });
    await until(() => intruder.port.acks().length === 1, 'intruder ack');
    // The victim's session is untouched; the intruder's frames went to a session of its own tab.
    expect((await connectionFrames(t.db, 'victim-session', 'v')).map((f) => f.data)).toEqual(['secret']);
    expect(await t.db.get('sessions', 'victim-session')).toMatchObject({ tabId: 1, frameCount: 1 });
    expect(await t.db.get('sessions', intruderSession)).toMatchObject({ tabId: 2 });
    // A subframe naming the other tab's session does not get it either.
    const sub = await welcomed(t, 'victim-session', false, 3);
    expect(sub.port.welcome()!.sessionId).not.toBe('victim-session');
  });

  it('welcomes a subframe into its tab’s newest session, and connections record the top page URL', async () => {
    const t = await setup();
    await ensureSession(t.db, newSession({ id: 'older', tabId: 7, pageUrl: 'https://app.test/old', startedAt: 1 }));
    await welcomed(t, 'current');
    const sub = await welcomed(t, undefined, false);
    expect(sub.port.welcome()!.sessionId).toBe('current');
    sub.port.send({ type: 'batch', batchSeq: 1, events: [{ ...connectEvent('sub'), frameUrl: 'https://app.test/frame' }] });
    await until(() => sub.port.acks().length === 1, 'ack');
    const [connection] = await listConnections(t.db, 'current');
    expect(connection).toMatchObject({ id: 'sub', frameUrl: 'https://app.test/frame', pageUrl: 'https://app.test/' });
  });

  it('a reconnecting subframe keeps the session it was welcomed into, even if the tab has a newer one', async () => {
    const t = await setup();
    await welcomed(t, 'first');
    await ensureSession(t.db, newSession({ id: 'newer', tabId: 7, pageUrl: 'https://app.test/2', startedAt: Date.now() + 1000 }));
    const sub = await welcomed(t, 'first', false);
    expect(sub.port.welcome()!.sessionId).toBe('first');
  });

  it('the top frame\'s session starts at its page load (the relay connects later, at its first socket)', async () => {
    const t = await setup();
    const side = t.attach();
    side.port.send({ ...hello('loaded'), startedAt: Date.now() - 60_000 });
    await until(() => side.port.welcome() !== undefined, 'welcome');
    const session = await t.db.get('sessions', 'loaded');
    expect(Date.now() - session!.startedAt).toBeGreaterThanOrEqual(60_000);
    // A start time no relay could have (in the future) is not believed.
    const future = t.attach();
    future.port.send({ ...hello('future'), startedAt: Date.now() + 3_600_000 });
    await until(() => future.port.welcome() !== undefined, 'welcome');
    expect((await t.db.get('sessions', 'future'))!.startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('a subframe that connects before its top frame asks the top frame for its page load, and both share it', async () => {
    const startedAt = Date.now() - 5000;
    const t = await setup(7, { topFrame: { sessionId: 'page-load', pageUrl: 'https://app.test/', title: 'Top', startedAt } });
    await ensureSession(t.db, newSession({ id: 'previous-load', tabId: 7, pageUrl: 'https://app.test/', startedAt: 1 }));
    const sub = await welcomed(t, undefined, false);
    expect(sub.port.welcome()!.sessionId).toBe('page-load');
    expect(await t.db.get('sessions', 'page-load')).toMatchObject({ tabId: 7, pageUrl: 'https://app.test/', title: 'Top', startedAt });
    const top = await welcomed(t, 'page-load');
    expect(top.port.welcome()!.sessionId).toBe('page-load');
    expect(t.started).toEqual(['page-load']); // announced once, by whichever frame came first
  });

  it('a subframe of a tab with no session and no answering top frame gets a new one', async () => {
    const t = await setup();
    const sub = await welcomed(t, undefined, false);
    const id = sub.port.welcome()!.sessionId;
    expect(await t.db.get('sessions', id)).toMatchObject({ tabId: 7 });
    expect(t.started).toEqual([id]);
  });

  it('ignores batches before the hello (the relay resends after the welcome)', async () => {
    const t = await setup();
    const { port } = t.attach();
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent()] });
    await settle();
    expect(port.posted).toEqual([]);
  });

  it('refuses a relay speaking another protocol version', async () => {
    const t = await setup();
    const { port } = t.attach();
    port.send({ ...hello('s1'), protocolVersion: PROTOCOL_VERSION + 1 });
    await settle();
    expect(port.posted).toEqual([]);
    expect(String(t.errors[0])).toMatch(/protocol/);
  });

  it('while paused, records connection lifecycle but not frames', async () => {
    const t = await setup(7, { paused: true });
    const { port } = await welcomed(t, 's1');
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), { k: 'open', connectionId: 'c1', seq: 1, time: 101, protocol: 'v1', extensions: '' }, textFrame(2, 'hidden')] });
    await until(() => port.acks().length === 1, 'ack');
    const rows = await connectionFrames(t.db, 's1', 'c1');
    expect(rows.map((r) => r.kind)).toEqual(['open']);
    expect((await listConnections(t.db, 's1'))[0]).toMatchObject({ state: 'open', protocol: 'v1' });
  });

  it('tells the tab\'s panels which connections got rows', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent('a'), connectEvent('b'), textFrame(1, 'x', 'b')] });
    await until(() => port.acks().length === 1, 'ack');
    expect(t.stored).toEqual([['a', 'b']]);
  });

  it('survives malformed messages, reports errors, and skips a frame whose parts cannot be joined', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    port.send({ type: 'batch', batchSeq: 'one', events: [] });
    port.send({ type: 'batch', batchSeq: 1, packed: 'nope' });
    port.send({ type: 'batch', batchSeq: 1, packed: { ...packWireEvents([connectEvent(), textFrame(1, 'ab')]), payloads: 'a' } }); // payload cut short
    port.send({ type: 'batch', batchSeq: 1, packed: { ...packWireEvents([connectEvent(), textFrame(1, 'ab')]), rows: [1, 0, 1, 0, 2] } }); // rows not a Float64Array
    port.send({ type: 'batch', batchSeq: 2, events: [{ k: 'frame-part', connectionId: 'c1', seq: 1, index: 1, count: 2, payload: '' }] });
    port.send({ type: 'batch', batchSeq: 3, events: [connectEvent(), textFrame(2, 'fine')] });
    await until(() => port.acks().includes(3), 'ack of the good batch');
    expect(t.errors.length).toBeGreaterThan(0);
    expect(port.disconnected).toBe(false);
    expect((await connectionFrames(t.db, 's1', 'c1')).map((f) => f.data)).toEqual(['fine']);
  });

  it('a batch that cannot be stored is never acknowledged, nor covered by a later ack: the port is dropped for a resend', async () => {
    const t = await setup();
    let failWrites = 0;
    // The database refuses the next write (as a full disk or a closing database would).
    const flaky = new Proxy(t.db, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'transaction') {
          return (...args: unknown[]) => {
            if (args[1] === 'readwrite' && failWrites > 0) {
              failWrites--;
              throw new DOMException('The disk is full.', 'QuotaExceededError');
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    t.deps.db = async () => flaky;
    const first = await welcomed(t, 's1');
    failWrites = 1;
    first.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), textFrame(1, 'a')] });
    first.port.send({ type: 'batch', batchSeq: 2, events: [textFrame(2, 'b')] });
    await until(() => first.port.disconnected, 'the port dropped');
    await settle();
    expect(first.port.acks()).toEqual([]);
    expect(String(t.errors[0])).toMatch(/disk is full/);
    // The relay reconnects and resends both: now they are stored, in order, once.
    const second = await welcomed(t, 's1');
    second.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent(), textFrame(1, 'a')] });
    second.port.send({ type: 'batch', batchSeq: 2, events: [textFrame(2, 'b')] });
    await until(() => second.port.acks().length === 2, 'acks after the resend');
    expect((await connectionFrames(t.db, 's1', 'c1')).map((f) => f.data)).toEqual(['a', 'b']);
  });

  it('a hello that cannot be answered (database unavailable) drops the port so the relay tries again', async () => {
    const t = await setup();
    t.deps.db = async () => {
      throw new Error('database unavailable');
    };
    const { port } = t.attach();
    port.send(hello('s1'));
    await until(() => port.disconnected, 'the port dropped');
    expect(port.welcome()).toBeUndefined();
  });
});

describe('CaptureRouter: pages that go away', () => {
  it('after a goodbye, ends the frame\'s connections still open as page-closed, after storing what came before it', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent('c1'), connectEvent('c2'), { k: 'close', connectionId: 'c2', seq: 1, time: 120, code: 1000, reason: '', wasClean: true }] });
    port.send({ type: 'batch', batchSeq: 2, events: [textFrame(1, 'last words')] });
    port.send({ type: 'goodbye', time: 300, openConnections: ['c1'] });
    await until(() => t.stored.length === 3, 'stored twice, then ended');
    port.drop();
    await settle();
    const byId = Object.fromEntries((await listConnections(t.db, 's1')).map((c) => [c.id, c]));
    expect(byId.c1).toMatchObject({ state: 'closed', closedAt: 300, pageGone: { reason: 'page-closed', time: 300 } });
    expect(byId.c2.pageGone).toBeUndefined();
    expect((await connectionFrames(t.db, 's1', 'c1')).map((f) => f.data)).toEqual(['last words']);
  });

  it('a port that drops without a goodbye is a crash: its connections are ended as crashed, never left open', async () => {
    const t = await setup();
    const { port } = await welcomed(t, 's1');
    port.send({ type: 'batch', batchSeq: 1, events: [connectEvent('c1')] });
    await until(() => port.acks().length === 1, 'ack');
    port.drop();
    await settle();
    expect(t.errors).toEqual([]);
    const [connection] = await listConnections(t.db, 's1');
    expect(connection).toMatchObject({ state: 'closed', pageGone: { reason: 'crashed' } });
  });

  it('ends connections a reconnecting relay names in its hello (stored before a background restart)', async () => {
    const t = await setup();
    const first = await welcomed(t, 's1');
    first.port.send({ type: 'batch', batchSeq: 1, events: [connectEvent('c1')] });
    await until(() => first.port.acks().length === 1, 'ack');
    const again = t.attach();
    again.port.send({ ...hello('s1'), openConnections: ['c1'] });
    again.port.send({ type: 'goodbye', time: 400, openConnections: [] });
    await until(() => t.stored.length === 2, 'ended');
    expect((await listConnections(t.db, 's1'))[0]).toMatchObject({ state: 'closed', pageGone: { reason: 'page-closed', time: 400 } });
  });

  it('lists a frame whose hand-over failed on its session', async () => {
    const t = await setup();
    const { port, connection } = await welcomed(t, 's1', false);
    port.send({ type: 'capture-gap', reason: 'hand-over-failed', frameUrl: 'https://app.test/frame', time: 1 });
    await settle();
    expect(t.errors).toEqual([]);
    expect((await t.db.get('sessions', connection.sessionId!))!.captureGaps).toMatchObject([{ frameUrl: 'https://app.test/frame', reason: 'hand-over-failed' }]);
  });
});
