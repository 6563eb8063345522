// CaptureRelay and its port to the service worker: hello and welcome, acknowledgements, reconnecting with backoff,
// waking only when the page has something to say, and stopping for good when the extension context is gone.
import { describe, expect, it } from 'vitest';
import { CaptureRelay } from '@/lib/relay/capture-relay';
import { NAMESPACE, PACKED_EXTRA, PROTOCOL_VERSION, type RelayToPageMessage } from '@/lib/shared/protocol';
import { FakePort, connect, page, payloads, setup, text, welcome } from './capture-relay-fixtures';

describe('CaptureRelay', () => {
  it('says hello first, then sends batches without waiting for the welcome (the background takes a port in order), once each', () => {
    const t = setup();
    expect(t.ports).toHaveLength(1);
    expect(t.port().posted).toEqual([
      { ns: NAMESPACE, type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId: 'session-1', topLevel: true, pageUrl: 'https://example.test/app', title: 'App', startedAt: 1000 },
    ]);
    t.relay.acceptPageMessage(page(connect(), text(1, 'a')));
    const batches = t.port().batches();
    expect(t.port().posted.map((m) => m.type)).toEqual(['hello', 'batch']);
    expect(batches[0].batchSeq).toBe(1);
    expect(payloads(batches[0].events)).toEqual(['connect', 'a']);
    t.port().deliver(welcome());
    t.runTimers();
    expect(t.port().batches()).toHaveLength(1);
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
});
