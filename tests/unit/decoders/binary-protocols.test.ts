import { describe, expect, it } from 'vitest';
import { encode as msgpack } from '@msgpack/msgpack';
import { encode as cbor, Tag } from 'cbor2';
import { createConnectionDecoder, decodeFrame, detectDecoder } from '../../../lib/decoders';
import { binary, fieldsOf, text, treeOf } from './helpers';

const tree = treeOf;
const RS = '\u001e';

/** SignalR's MessagePack framing: a varint length, then the message. */
function signalRFrame(...messages: unknown[]) {
  const parts: number[] = [];
  for (const m of messages) {
    const body = msgpack(m);
    let n = body.length;
    do {
      let b = n & 0x7f;
      n >>= 7;
      if (n) b |= 0x80;
      parts.push(b);
    } while (n);
    parts.push(...body);
  }
  return binary(parts);
}

/** Protobuf wire-format builder for hand-built frames. */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const pbKey = (field: number, wire: number) => varint((field << 3) | wire);
const pbString = (field: number, s: string) => { const b = new TextEncoder().encode(s); return [...pbKey(field, 2), ...varint(b.length), ...b]; };
const pbVarint = (field: number, n: number) => [...pbKey(field, 0), ...varint(n)];
const pbMessage = (field: number, body: number[]) => [...pbKey(field, 2), ...varint(body.length), ...body];

describe('SignalR decoder', () => {
  it('detects the handshake', () => {
    expect(detectDecoder({ url: 'ws://h/chathub?id=abc', protocol: '' }, [text(`{"protocol":"json","version":1}${RS}`, 'send')]).id).toBe('signalr');
  });
  it('decodes JSON records: handshake, invocations, completions, pings', () => {
    const d = createConnectionDecoder('signalr', { url: '', protocol: '' });
    expect(d.decode(text(`{"protocol":"json","version":1}${RS}`, 'send'))).toMatchObject({ ok: true, summary: 'handshake json v1' });
    expect(d.decode(text(`{}${RS}`))).toMatchObject({ ok: true, summary: 'handshake ok' });
    expect(d.decode(text(`{"type":1,"invocationId":"0","target":"SendMessage","arguments":["ann","hi"]}${RS}`, 'send'))).toMatchObject({ ok: true, summary: 'invoke SendMessage #0 ["ann", "hi"]', fields: { type: 'Invocation', target: 'SendMessage', invocationId: '0' } });
    expect(d.decode(text(`{"type":3,"invocationId":"0","result":42}${RS}{"type":6}${RS}`))).toMatchObject({ ok: true, summary: 'completion #0 (SendMessage) 42 + ping', fields: { type: ['Completion', 'Ping'] } });
    expect(d.decode(text(`{"type":7,"error":"Server shut down"}${RS}`)).summary).toBe('close: Server shut down');
  });
  it('decodes MessagePack messages (several per frame)', () => {
    const d = createConnectionDecoder('signalr', { url: '', protocol: '' });
    d.decode(text(`{"protocol":"messagepack","version":1}${RS}`, 'send'));
    const r = d.decode(signalRFrame([1, {}, '7', 'Broadcast', ['x', 1], []], [6]));
    expect(r).toMatchObject({ ok: true, summary: 'invoke Broadcast #7 ["x", 1] + ping', fields: { target: 'Broadcast' } });
    expect(d.decode(signalRFrame([3, {}, '7', 1, 'failed']))).toMatchObject({ summary: 'completion #7 (Broadcast) error: failed' });
    expect(d.decode(signalRFrame([2, {}, '9', { v: 1 }])).summary).toBe('stream item #9 {v: 1}');
  });
  it('reports malformed messages', () => {
    expect(decodeFrame('signalr', text('{"type":1}'))).toMatchObject({ ok: false, error: 'SignalR JSON message does not end with the record separator 0x1E' });
    expect(decodeFrame('signalr', text(`{"type":99}${RS}`))).toMatchObject({ ok: false, error: 'unknown SignalR message type 99' });
    expect(decodeFrame('signalr', binary([0x10, 0x91]))).toMatchObject({ ok: false, error: 'truncated SignalR MessagePack message: length 16, 1 bytes left' });
  });
});

describe('WAMP decoder', () => {
  it('detects wamp.2.json and wamp.2.msgpack', () => {
    expect(detectDecoder({ url: 'ws://h/ws', protocol: 'wamp.2.json' }, []).id).toBe('wamp');
    expect(detectDecoder({ url: 'ws://h/ws', protocol: 'wamp.2.msgpack' }, []).id).toBe('wamp');
  });
  it('decodes a JSON session and resolves subscription and registration ids', () => {
    const d = createConnectionDecoder('wamp', { url: '', protocol: 'wamp.2.json' });
    expect(d.decode(text('[1,"realm1",{"roles":{"subscriber":{}}}]', 'send'))).toMatchObject({ ok: true, summary: 'HELLO realm1', fields: { type: 'HELLO', realm: 'realm1' } });
    expect(d.decode(text('[32,713845233,{},"com.myapp.mytopic1"]', 'send'))).toMatchObject({ summary: 'SUBSCRIBE com.myapp.mytopic1 #713845233', fields: { topic: 'com.myapp.mytopic1' } });
    expect(d.decode(text('[33,713845233,5512315355]'))).toMatchObject({ fields: { topic: 'com.myapp.mytopic1' } });
    const event = d.decode(text('[36,5512315355,4429313566,{},["Hello, world!"]]'));
    expect(event).toMatchObject({ ok: true, summary: 'EVENT com.myapp.mytopic1 ["Hello, world!"]', fields: { type: 'EVENT', topic: 'com.myapp.mytopic1' } });
    expect(d.decode(text('[48,7814135,{},"com.myapp.add2",[23,7]]', 'send'))).toMatchObject({ summary: 'CALL com.myapp.add2 #7814135 [23, 7]', fields: { procedure: 'com.myapp.add2' } });
    expect(d.decode(text('[50,7814135,{},[30]]'))).toMatchObject({ summary: 'RESULT com.myapp.add2 #7814135 [30]' });
    expect(fieldsOf(d.decode(text('[64,25349185,{},"com.myapp.echo"]', 'send')))).toMatchObject({ procedure: 'com.myapp.echo' });
    d.decode(text('[65,25349185,2103333224]'));
    expect(d.decode(text('[68,6131533,2103333224,{},["x"]]'))).toMatchObject({ summary: 'INVOCATION com.myapp.echo #6131533 ["x"]' });
  });
  it('decodes MessagePack frames', () => {
    expect(decodeFrame('wamp', binary(msgpack([16, 239714735, {}, 'com.myapp.topic1', [1, 2]])))).toMatchObject({ ok: true, summary: 'PUBLISH com.myapp.topic1 #239714735 [1, 2]' });
  });
  it('reports malformed messages', () => {
    expect(decodeFrame('wamp', text('{"a":1}'))).toMatchObject({ ok: false, error: 'WAMP message is not an array starting with its type code' });
    expect(decodeFrame('wamp', text('[99]'))).toMatchObject({ ok: false, error: 'unknown WAMP message type 99' });
    expect(decodeFrame('wamp', binary([0xc1]))).toMatchObject({ ok: false });
  });
});

describe('MessagePack, CBOR, JSON and Protocol Buffers decoders', () => {
  it('decodes MessagePack maps, binary and sequences', () => {
    const r = decodeFrame('msgpack', binary(msgpack({ type: 'tick', n: 3, raw: Uint8Array.of(0xde, 0xad) })));
    expect(r).toMatchObject({ ok: true, summary: '{type: "tick", n: 3, raw: <2 bytes>}', fields: { type: 'tick', n: 3 } });
    expect(tree(r)).toContain('raw: <2 bytes> de ad');
    const seq = decodeFrame('msgpack', binary([...msgpack(1), ...msgpack('two')]));
    expect(seq).toMatchObject({ ok: true, summary: '2 values: 1, "two"' });
    expect(decodeFrame('msgpack', binary([0xc1]))).toMatchObject({ ok: false });
    expect(decodeFrame('msgpack', binary([0x92, 0x01]))).toMatchObject({ ok: false });
  });

  it('decodes CBOR with tags and non-string map keys', () => {
    const r = decodeFrame('cbor', binary(cbor({ id: 7, when: new Tag(1, 1700000000), custom: new Tag(40000, 'x'), m: new Map<unknown, unknown>([[1, 'one']]) })));
    expect(r).toMatchObject({ ok: true, fields: { id: 7 } });
    expect(tree(r)).toContain('when: 2023-11-14T22:13:20.000Z');
    expect(tree(r)).toContain('tag(40000): "x"');
    expect(tree(r)).toContain('1: "one"');
    const bad = decodeFrame('cbor', binary([0x82, 0x01]));
    expect(bad.ok === false && bad.error).toMatch(/^invalid CBOR/);
    expect(decodeFrame('cbor', text('{}'))).toMatchObject({ ok: false, error: 'CBOR is binary, this is a text frame' });
  });

  it('decodes schemaless protobuf with nested message, text and signed guesses', () => {
    const inner = [...pbString(1, 'ann'), ...pbVarint(2, 30)];
    const bytes = [...pbVarint(1, 150), ...pbString(2, 'hello world'), ...pbMessage(3, inner), ...pbKey(4, 5), 0, 0, 0x80, 0x3f, ...pbVarint(5, 3)];
    const r = decodeFrame('protobuf', binary(bytes));
    expect(r).toMatchObject({ ok: true, fields: { 1: 150, 2: 'hello world', 4: 1065353216, 5: 3 } });
    const t = tree(r);
    expect(t).toContain('3 (len, message?): 2 fields');
    expect(t).toContain('1 (len, text?): "ann"');
    expect(t).toContain('float 1');
    expect(t).toContain('sint -2');
    expect(r.summary).toBe('protobuf 5 fields: 1=150 2="hello world" 3={…} 4=1065353216 5=3');
  });

  it('reports malformed protobuf', () => {
    expect(decodeFrame('protobuf', binary([...pbKey(1, 2), 10, 1, 2]))).toMatchObject({ ok: false, error: 'truncated length-delimited field 1: needs 10 bytes, 2 left' });
    expect(decodeFrame('protobuf', binary([0x0f]))).toMatchObject({ ok: false, error: 'invalid wire type 7 for field 1' });
    expect(decodeFrame('protobuf', binary([0x08, 0xff]))).toMatchObject({ ok: false, error: 'truncated varint' });
  });

  it('decodes generic JSON with top-level fields', () => {
    expect(decodeFrame('json', text('{"type":"chat","user":"ann","n":1,"deep":{"x":1}}'))).toMatchObject({ ok: true, fields: { type: 'chat', user: 'ann', n: 1 } });
    const bad = decodeFrame('json', text('{oops'));
    expect(bad).toMatchObject({ ok: false, raw: '{oops' });
    expect(bad.ok === false && bad.error).toMatch(/^invalid JSON/);
  });

  it('picks a structured binary format for unknown binary connections', () => {
    expect(detectDecoder({ url: 'ws://h/', protocol: '' }, [binary(msgpack({ a: 1 }))]).id).toBe('msgpack');
    expect(detectDecoder({ url: 'ws://h/', protocol: '' }, [text('{"a":1}')]).id).toBe('json');
    expect(detectDecoder({ url: 'ws://h/', protocol: '' }, [text('plain words')]).id).toBeNull();
  });
});
