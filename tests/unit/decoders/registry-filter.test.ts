import { describe, expect, it } from 'vitest';
import { createConnectionDecoder, decodeFrame, detectDecoder, DECODERS, listDecoders, matchesDecodedFilter, parseDecodedFilter, summarizeFrame } from '../../../lib/decoders';
import { binary, text } from './helpers';

describe('decoder registry', () => {
  it('lists every decoder once for an override menu', () => {
    const ids = listDecoders().map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(['socket.io', 'sockjs', 'stomp', 'mqtt', 'graphql-ws', 'json-rpc', 'signalr', 'wamp', 'actioncable', 'msgpack', 'cbor', 'protobuf', 'json']);
  });

  it('ranks candidates and prefers the subprotocol over content sniffing', () => {
    const d = detectDecoder({ url: 'ws://h/', protocol: 'graphql-transport-ws' }, [text('{"type":"connection_init"}', 'send')]);
    expect(d.id).toBe('graphql-ws');
    expect(d.confidence).toBe(1);
    expect(d.candidates.map((c) => c.id)).toContain('json');
  });

  it('never throws: unknown decoders, control rows, missing payloads and garbage all come back as failures', () => {
    expect(decodeFrame('nope', text('x'))).toMatchObject({ ok: false, error: 'unknown decoder "nope"' });
    expect(decodeFrame('json', { kind: 'close', data: undefined })).toMatchObject({ ok: false, error: 'a close row has no payload to decode' });
    expect(decodeFrame('json', { kind: 'frame', data: undefined })).toMatchObject({ ok: false, error: 'the frame has no payload' });
    // Deterministic pseudo-random frames through every decoder, statelessly and with state.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const decoder of DECODERS) {
      const session = createConnectionDecoder(decoder.id, { url: 'ws://h/', protocol: '' });
      for (let i = 0; i < 200; i++) {
        const len = Math.floor(rand() * 40);
        const bytes = Array.from({ length: len }, () => Math.floor(rand() * 256));
        const frame = i % 2 ? binary(bytes, i % 4 ? 'send' : 'receive') : text(String.fromCharCode(...bytes.map((b) => (b % 95) + 32)), 'send');
        const a = decodeFrame(decoder.id, frame);
        const b = session.decode(frame);
        for (const r of [a, b]) {
          expect(typeof r.summary).toBe('string');
          if (!r.ok) {
            // a reason the decoder gave, not an internal error it tripped over
            expect(r.error, `${decoder.id} on ${JSON.stringify(frame.data instanceof ArrayBuffer ? [...new Uint8Array(frame.data)] : frame.data)}`).not.toMatch(/^decoder error/);
            expect(r.raw).toBe(frame.data);
          }
        }
      }
    }
    // generous: the shared test machine can be very loaded; this checks behaviour, not speed
  }, 60_000);

  it('memoises per seq and decodes an older, never-seen frame on its own', () => {
    const d = createConnectionDecoder('json-rpc', { url: '', protocol: '' });
    const req = { ...text('{"jsonrpc":"2.0","method":"m","id":1}', 'send'), seq: 10 };
    const res = { ...text('{"jsonrpc":"2.0","result":1,"id":1}'), seq: 11 };
    const older = { ...text('{"jsonrpc":"2.0","result":2,"id":1}'), seq: 5 };
    expect(d.decode(req)).toBe(d.decode(req));
    expect(d.decode(res).summary).toBe('result #1 (m) 1');
    expect(d.decode(older).summary).toBe('result #1 2');
  });

  it('summarizes a frame for the list column', () => {
    expect(summarizeFrame('stomp', text('SEND\ndestination:/q\n\nhi\0'))).toBe('SEND /q 2 bytes');
    expect(summarizeFrame('stomp', text('NOPE\n\n\0'))).toBe('⚠ unknown STOMP command "NOPE"');
    const d = createConnectionDecoder('socket.io', { url: '', protocol: '' });
    expect(summarizeFrame(d, text('42["chat","hi"]'))).toBe('event chat ["hi"]');
  });
});

describe('matchesDecodedFilter', () => {
  const fields = { type: 'PUBLISH', topic: 'sensors/kitchen/temp', qos: 1, retain: false, tags: ['a/b', 'c/d'] };
  it('matches field contains, equals with wildcards, presence and any-field terms, case-insensitively', () => {
    expect(matchesDecodedFilter(fields, 'topic:kitchen')).toBe(true);
    expect(matchesDecodedFilter(fields, 'TOPIC:KITCHEN')).toBe(true);
    expect(matchesDecodedFilter(fields, 'topic:garage')).toBe(false);
    expect(matchesDecodedFilter(fields, 'topic=sensors/kitchen/temp')).toBe(true);
    expect(matchesDecodedFilter(fields, 'topic=sensors')).toBe(false);
    expect(matchesDecodedFilter(fields, 'topic=sensors/*/temp')).toBe(true);
    expect(matchesDecodedFilter(fields, 'topic=sensors/*/hum')).toBe(false);
    expect(matchesDecodedFilter(fields, 'qos=1')).toBe(true);
    expect(matchesDecodedFilter(fields, 'retain=false')).toBe(true);
    expect(matchesDecodedFilter(fields, 'topic:')).toBe(true);
    expect(matchesDecodedFilter(fields, 'event:')).toBe(false);
    expect(matchesDecodedFilter(fields, 'kitchen')).toBe(true);
    expect(matchesDecodedFilter(fields, 'nowhere')).toBe(false);
  });
  it('ANDs terms, negates with "-", matches any element of multi-valued fields, handles quotes and regex characters', () => {
    expect(matchesDecodedFilter(fields, 'type=publish topic:kitchen')).toBe(true);
    expect(matchesDecodedFilter(fields, 'type=publish topic:garage')).toBe(false);
    expect(matchesDecodedFilter(fields, '-type=pingreq')).toBe(true);
    expect(matchesDecodedFilter(fields, '-topic:kitchen')).toBe(false);
    expect(matchesDecodedFilter(fields, 'tags=c/d')).toBe(true);
    expect(matchesDecodedFilter({ event: 'chat message' }, 'event:"chat message"')).toBe(true);
    expect(matchesDecodedFilter({ event: 'chat message' }, 'event="chat"')).toBe(false);
    expect(matchesDecodedFilter({ method: 'a.(b)+' }, 'method=a.(b)+')).toBe(true);
    expect(matchesDecodedFilter({ method: 'axxb' }, 'method=a.b')).toBe(false);
  });
  it('matches everything on an empty query and nothing on an undecoded frame', () => {
    expect(matchesDecodedFilter(fields, '')).toBe(true);
    expect(matchesDecodedFilter(fields, '   ')).toBe(true);
    expect(matchesDecodedFilter(undefined, 'event:chat')).toBe(false);
    expect(matchesDecodedFilter(undefined, '-event:chat')).toBe(true);
    expect(parseDecodedFilter('-event:"a b" x')).toEqual([
      { negate: true, field: 'event', op: 'contains', value: 'a b' },
      { negate: false, op: 'contains', value: 'x' },
    ]);
  });
});
