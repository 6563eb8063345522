/** Streamed responses: every item of a subscription tied to the request that opened it, on payloads as the protocols' libraries write them. */
import { describe, expect, it } from 'vitest';
import { JsonHubProtocol } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { createFrameReader } from '../../../lib/analysis/pair-keys';
import { ConnectionPairing, type Pair, type PairingOptions, type StreamItem, type UnansweredRequest } from '../../../lib/analysis/pairing';
import { SessionAnalysis } from '../../../lib/analysis/session-analysis';
import type { FrameRecord } from '../../../lib/shared/records';
import { Conversation } from './rows';

/** Pairs rows in chunks of `chunk` rows (Infinity: one run); pairs, stream items and unanswered as compact tuples. */
function streamRows(decoderId: string, rows: FrameRecord[], options: PairingOptions = {}, chunk = Infinity) {
  const pairs: Pair[] = [];
  const items: StreamItem[] = [];
  const unanswered: UnansweredRequest[] = [];
  const pairing = new ConnectionPairing('c1', createFrameReader(decoderId), { ...options, onPair: (p) => pairs.push(p), onStreamItem: (i) => items.push(i), onUnanswered: (u) => unanswered.push(u) });
  for (let i = 0; i < rows.length; i += chunk) pairing.push(rows.slice(i, i + chunk));
  const before = pairing.counts;
  pairing.finish();
  return {
    pairing,
    before,
    pairs: pairs.map((p) => [p.requestSeq, p.responseSeq, p.label, p.latencyMs] as const),
    // [request, item, index, ms since the request, end]
    items: items.map((i) => [i.requestSeq, i.itemSeq, i.index, i.sinceRequestMs, i.end] as const),
    unanswered: unanswered.map((u) => [u.requestSeq, u.label, u.reason] as const),
    raw: { pairs, items, unanswered },
  };
}

const subscribe = (id: string, query = 'subscription OnTick { tick }') => stringifyMessage({ id, type: MessageType.Subscribe, payload: { query } });
const next = (id: string, tick: number) => stringifyMessage({ id, type: MessageType.Next, payload: { data: { tick } } });
const complete = (id: string) => stringifyMessage({ id, type: MessageType.Complete });

/** A graphql-transport-ws subscription: 3 `next` 100 ms apart (the first after 40 ms), `complete`, then a stray `next`. */
function tickSubscription(): Conversation {
  const c = new Conversation();
  c.send(stringifyMessage({ type: MessageType.ConnectionInit }));
  c.receive(stringifyMessage({ type: MessageType.ConnectionAck }), 3);
  c.send(subscribe('s1'), 1); // seq 3
  c.receive(next('s1', 1), 40); // 4
  c.receive(next('s1', 2), 100); // 5
  c.receive(next('s1', 3), 100); // 6
  c.receive(complete('s1'), 10); // 7
  c.receive(next('s1', 4), 10); // 8: after complete, nothing's
  return c;
}

describe('GraphQL subscriptions as streams', () => {
  it('pairs the first next with its latency, reports the later ones with their index and time since the subscribe, and complete ends it', () => {
    const { pairs, items, unanswered, before, pairing, raw } = streamRows('graphql-ws', tickSubscription().rows);
    expect(pairs).toEqual([
      [1, 2, 'connection_init', 3],
      [3, 4, 'OnTick', 40],
    ]);
    expect(items).toEqual([
      [3, 5, 2, 140, false],
      [3, 6, 3, 240, false],
      [3, 7, 4, 250, true],
    ]);
    expect(raw.items[0]).toMatchObject({ connectionId: 'c1', label: 'OnTick', requestDir: 'send', requestTime: raw.pairs[1].requestTime, itemTime: raw.pairs[1].requestTime + 140 });
    expect(unanswered).toEqual([]);
    // Closed by complete: the stray next (8) pairs with nothing, and nothing is left open.
    expect(before).toMatchObject({ pairs: 2, outstanding: 0, streams: 0, streamItems: 3 });
    // Latency statistics count the first response only.
    expect(pairing.latency.byLabel().find((l) => l.label === 'OnTick')).toMatchObject({ count: 1, max: 40 });
  });

  it('keeps a stream open past the timeout (it was answered), without making it unanswered', () => {
    const c = new Conversation();
    c.send(subscribe('s1'));
    c.receive(next('s1', 1), 20);
    c.receive(next('s1', 2), 60_000);
    c.receive(next('s1', 3), 60_000);
    const { pairs, items, unanswered, before } = streamRows('graphql-ws', c.rows, { timeoutMs: 30_000 });
    expect(pairs).toEqual([[1, 2, 'OnTick', 20]]);
    expect(items).toEqual([
      [1, 3, 2, 60_020, false],
      [1, 4, 3, 120_020, false],
    ]);
    expect(unanswered).toEqual([]);
    expect(before).toMatchObject({ outstanding: 0, streams: 1 });
  });

  it('an id reused after complete opens a new request; reused while the stream is open, it ends the old stream', () => {
    const c = new Conversation();
    c.send(subscribe('1')); // 1
    c.receive(next('1', 1), 10); // 2
    c.receive(complete('1'), 10); // 3
    c.send(subscribe('1', 'subscription Again { tick }'), 10); // 4
    c.receive(next('1', 1), 15); // 5: Again's first
    c.receive(next('1', 2), 15); // 6: Again's item 2
    c.send(subscribe('1', 'subscription Third { tick }'), 10); // 7: reuse while open
    c.receive(next('1', 1), 5); // 8: Third's first, not Again's item 3
    const { pairs, items, unanswered } = streamRows('graphql-ws', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'OnTick', 10],
      [4, 5, 'Again', 15],
      [7, 8, 'Third', 5],
    ]);
    expect(items).toEqual([
      [1, 3, 2, 20, true],
      [4, 6, 2, 30, false],
    ]);
    expect(unanswered).toEqual([]);
  });

  it('a query answered by next and complete: the next is the pair, complete its end; an error first is a plain response', () => {
    const c = new Conversation();
    c.send(subscribe('q', '{ me { id } }'));
    c.send(subscribe('e', 'subscription Denied { x }'), 1);
    c.receive(next('q', 0), 12);
    c.receive(complete('q'), 1);
    c.receive(stringifyMessage({ id: 'e', type: MessageType.Error, payload: [{ message: 'denied' }] }), 1);
    c.receive(next('e', 0), 1); // after its error: nothing's
    const { pairs, items, before } = streamRows('graphql-ws', c.rows);
    expect(pairs).toEqual([
      [1, 3, '(anonymous query)', 13],
      [2, 5, 'Denied', 14],
    ]);
    expect(items).toEqual([[1, 4, 2, 14, true]]);
    expect(before).toMatchObject({ streams: 0, streamItems: 1 });
  });

  it('the legacy protocol (subscriptions-transport-ws): start, data × 3, complete', () => {
    const c = new Conversation();
    c.send('{"id":"1","type":"start","payload":{"query":"subscription S { s }","operationName":"S"}}');
    c.receive('{"type":"ka"}', 5);
    for (let i = 0; i < 3; i++) c.receive(`{"id":"1","type":"data","payload":{"data":{"s":${i}}}}`, 5);
    c.receive('{"id":"1","type":"complete"}', 5);
    const { pairs, items } = streamRows('graphql-ws', c.rows);
    expect(pairs).toEqual([[1, 3, 'S', 10]]);
    expect(items).toEqual([
      [1, 4, 2, 15, false],
      [1, 5, 3, 20, false],
      [1, 6, 4, 25, true],
    ]);
  });

  it('user-defined JSON paths replace the protocol’s marks, stream items too', () => {
    const read = createFrameReader('graphql-ws', { pairPaths: { request: '$.id', response: '$.replyTo' } });
    const facts = read({ dir: 'receive', data: next('s1', 1) });
    expect(facts).toMatchObject({ type: 'next', requests: [{ key: '"s1"' }] });
    expect(facts.items).toBeUndefined();
    expect(read({ dir: 'receive', data: complete('s1') }).ends).toBeUndefined();
  });

  it('gives the same pairs and items fed in chunks of any size as in one run', () => {
    const c = tickSubscription();
    // A second subscription interleaved, and the connection's end while it streams.
    c.send(subscribe('s2', 'subscription Other { x }'), 1);
    c.receive(next('s2', 1), 7);
    c.receive(next('s2', 2), 7);
    c.control('close', 5);
    const once = streamRows('graphql-ws', c.rows);
    for (const chunk of [1, 2, 3, 5]) {
      const chunked = streamRows('graphql-ws', c.rows, {}, chunk);
      expect(chunked.raw).toEqual(once.raw);
      expect(chunked.before).toEqual(once.before);
    }
    expect(once.items).toContainEqual([9, 11, 2, 14, false]);
  });

  it('counts open streams against the cap: the oldest stream gives way first, then the oldest waiting request', () => {
    const c = new Conversation();
    c.send(subscribe('a')); // 1
    c.receive(next('a', 1), 1); // 2: a streams
    c.send(subscribe('b'), 1); // 3
    c.receive(next('b', 1), 1); // 4: b streams
    c.send(subscribe('c'), 1); // 5: a and b open, c waiting: at the cap of 3
    c.send(subscribe('d'), 1); // 6: over: a (the oldest stream) is dropped
    c.receive(next('a', 2), 1); // 7: nothing's
    c.receive(next('b', 2), 1); // 8: b's item 2
    c.receive(next('c', 1), 1); // 9: c streams (still 3 held)
    c.send(subscribe('e'), 1); // 10: over: b dropped
    c.receive(next('b', 3), 1); // 11: nothing's
    const { pairs, items, before } = streamRows('graphql-ws', c.rows, { maxOutstanding: 3 });
    expect(pairs.map(([request, response]) => [request, response])).toEqual([
      [1, 2],
      [3, 4],
      [5, 9],
    ]);
    expect(items).toEqual([[3, 8, 2, 5, false]]);
    expect(before).toMatchObject({ dropped: 2, streams: 1, outstanding: 2 });

    // With no stream open, the oldest waiting request goes (as before streams).
    const w = new Conversation();
    for (const id of ['a', 'b', 'c', 'd']) w.send(subscribe(id), 1);
    w.receive(next('a', 1), 1);
    w.receive(next('d', 1), 1);
    expect(streamRows('graphql-ws', w.rows, { maxOutstanding: 3 }).pairs.map(([r]) => r)).toEqual([4]);
  });
});

describe('SignalR streams', () => {
  it('StreamInvocation: the first StreamItem pairs, later items are reported, the Completion ends it (JSON hub protocol)', () => {
    const json = new JsonHubProtocol();
    const w = (m: Parameters<JsonHubProtocol['writeMessage']>[0]) => json.writeMessage(m) as string;
    const c = new Conversation();
    c.send('{"protocol":"json","version":1}\u001e');
    c.receive('{}\u001e', 2);
    c.send(w({ type: 4, invocationId: '7', target: 'Counter', arguments: [3, 100], streamIds: [], headers: {} }), 1); // 3
    c.receive(w({ type: 2, invocationId: '7', item: 0, headers: {} }), 30); // 4
    c.receive(w({ type: 2, invocationId: '7', item: 1, headers: {} }), 100); // 5
    c.receive(w({ type: 2, invocationId: '7', item: 2, headers: {} }), 100); // 6
    c.receive(w({ type: 3, invocationId: '7', headers: {} }), 1); // 7
    c.receive(w({ type: 2, invocationId: '7', item: 3, headers: {} }), 1); // 8: after its Completion
    c.send(w({ type: 1, invocationId: '7', target: 'Add', arguments: [1, 2], streamIds: [], headers: {} }), 1); // 9: id reused
    c.receive(w({ type: 3, invocationId: '7', result: 3, headers: {} }), 4); // 10: a plain Completion
    const { pairs, items, unanswered, before } = streamRows('signalr', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'handshake', 2],
      [3, 4, 'Counter', 30],
      [9, 10, 'Add', 4],
    ]);
    expect(items).toEqual([
      [3, 5, 2, 130, false],
      [3, 6, 3, 230, false],
      [3, 7, 4, 231, true],
    ]);
    expect(unanswered).toEqual([]);
    expect(before).toMatchObject({ streams: 0, outstanding: 0, streamItems: 3 });
  });

  it('MessagePack: items of two streams in one frame, each to its own invocation', () => {
    const mp = new MessagePackHubProtocol();
    const w = (...messages: Parameters<MessagePackHubProtocol['writeMessage']>[0][]) => {
      const parts = messages.map((m) => new Uint8Array(mp.writeMessage(m)));
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    };
    const c = new Conversation();
    c.send(w({ type: 4, invocationId: '1', target: 'A', arguments: [], streamIds: [], headers: {} })); // 1
    c.send(w({ type: 4, invocationId: '2', target: 'B', arguments: [], streamIds: [], headers: {} }), 1); // 2
    c.receive(w({ type: 2, invocationId: '1', item: 'a0', headers: {} }, { type: 2, invocationId: '2', item: 'b0', headers: {} }), 10); // 3
    c.receive(w({ type: 2, invocationId: '2', item: 'b1', headers: {} }, { type: 3, invocationId: '1', headers: {} }), 10); // 4
    const { pairs, items } = streamRows('signalr', c.rows);
    expect(pairs).toEqual([
      [1, 3, 'A', 11],
      [2, 3, 'B', 10],
    ]);
    expect(items).toEqual([
      [2, 4, 2, 20, false],
      [1, 4, 2, 21, true],
    ]);
  });
});

describe('JSON-RPC pub/sub streams', () => {
  // Frames as geth's "Real-time Events" page and Solana's RPC reference show them.
  const HEADS = '0xcd0c3e8af590364c09d0fa6a1210faf5';
  const head = (n: number) => `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${HEADS}","result":{"number":"0x${n.toString(16)}","hash":"0x${n}"}}}`;

  it('eth_subscribe: the result (the subscription id) pairs, each notification naming it is an item; an unsubscribe reusing the id ends the tie', () => {
    const c = new Conversation();
    c.send('{"id": 1, "method": "eth_subscribe", "params": ["newHeads"]}'); // 1
    c.receive(`{"jsonrpc":"2.0","id":1,"result":"${HEADS}"}`, 20); // 2
    c.receive(head(1), 1000); // 3
    c.receive(head(2), 1000); // 4
    c.receive('{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xother","result":{}}}', 1); // 5: no such subscription
    c.send(`{"id": 1, "method": "eth_unsubscribe", "params": ["${HEADS}"]}`, 10); // 6
    c.receive('{"jsonrpc":"2.0","id":1,"result":true}', 5); // 7
    c.receive(head(3), 1); // 8: unsubscribed
    const { pairs, items, unanswered, before } = streamRows('json-rpc', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'eth_subscribe', 20],
      [6, 7, 'eth_unsubscribe', 5],
    ]);
    expect(items).toEqual([
      [1, 3, 2, 1020, false],
      [1, 4, 3, 2020, false],
    ]);
    expect(unanswered).toEqual([]);
    expect(before).toMatchObject({ streams: 0, outstanding: 0 });
  });

  it("Solana's numeric subscription ids; a subscribe that fails is a plain response; other calls are untouched", () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","id":1,"method":"accountSubscribe","params":["CM78CPUeXjn8o3yroDHxUtKsZZgoy4GPkPPXfouKNH12",{"encoding":"jsonParsed","commitment":"finalized"}]}'); // 1
    c.send('{"jsonrpc":"2.0","id":2,"method":"slotSubscribe"}', 1); // 2
    c.send('{"jsonrpc":"2.0","id":3,"method":"getSlot"}', 1); // 3
    c.receive('{"jsonrpc":"2.0","result":23784,"id":1}', 10); // 4
    c.receive('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}', 1); // 5
    c.receive('{"jsonrpc":"2.0","result":5,"id":3}', 1); // 6
    c.receive('{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":5199307},"value":{"lamports":33594}},"subscription":23784}}', 50); // 7
    c.receive('{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{},"subscription":"23784"}}', 1); // 8: "23784" is not 23784
    const { pairs, items, before } = streamRows('json-rpc', c.rows);
    expect(pairs).toEqual([
      [1, 4, 'accountSubscribe', 12],
      [2, 5, 'slotSubscribe', 12],
      [3, 6, 'getSlot', 12],
    ]);
    expect(items).toEqual([[1, 7, 2, 64, false]]);
    expect(before).toMatchObject({ streams: 1, outstanding: 0 });
  });
});

describe('WAMP progressive call results', () => {
  it('RESULTs with progress: true are items of the CALL, the final RESULT ends it; the same for INVOCATION and YIELD (frames of the WAMP spec)', () => {
    const c = new Conversation();
    c.send('[48,77133,{"receive_progress":true},"com.myapp.compute_revenue",[2010,2011,2012]]'); // 1
    c.receive('[68,87,23,{"receive_progress":true},[2010,2011,2012]]', 2); // 2
    c.send('[70,87,{"progress":true},["Y2010",120]]', 10); // 3
    c.receive('[50,77133,{"progress":true},["Y2010",120]]', 1); // 4
    c.send('[70,87,{"progress":true},["Y2011",205]]', 10); // 5
    c.receive('[50,77133,{"progress":true},["Y2011",205]]', 1); // 6
    c.send('[70,87,{},["Total",490]]', 10); // 7
    c.receive('[50,77133,{},["Total",490]]', 1); // 8
    c.send('[48,77134,{},"com.myapp.ping"]', 1); // 9
    c.receive('[50,77134,{},["pong"]]', 4); // 10: a plain call, answered once
    const { pairs, items } = streamRows('wamp', c.rows);
    expect(pairs).toEqual([
      [2, 3, 'INVOCATION', 10],
      [1, 4, 'com.myapp.compute_revenue', 13],
      [9, 10, 'com.myapp.ping', 4],
    ]);
    expect(items).toEqual([
      [2, 5, 2, 21, false],
      [1, 6, 2, 24, false],
      [2, 7, 3, 32, true],
      [1, 8, 3, 35, true],
    ]);
  });
});

describe('streams through SessionAnalysis', () => {
  it('SessionAnalysis passes onStreamItem on to each connection\'s pairing', () => {
    const c = tickSubscription();
    const items: StreamItem[] = [];
    const analysis = new SessionAnalysis({ decoderIds: { c1: 'graphql-ws' }, onStreamItem: (i) => items.push(i) });
    analysis.push(c.rows.slice(0, 1));
    analysis.push(c.rows.slice(1));
    expect(items.map((i) => [i.itemSeq, i.index, i.end])).toEqual([
      [5, 2, false],
      [6, 3, false],
      [7, 4, true],
    ]);
    expect(analysis.result().connections[0].pairing).toMatchObject({ pairs: 2, streamItems: 3, streams: 0 });
  });
});
