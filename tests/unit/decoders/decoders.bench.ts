/**
 * Decode throughput per decoder on typical frames, through a per-connection decoder as the panel uses it.
 * Run: npx vitest bench --run tests/unit/decoders
 */
import { bench, describe } from 'vitest';
import { encode as msgpack } from '@msgpack/msgpack';
import { encode as cbor } from 'cbor2';
import mqttPacket from 'mqtt-packet';
import { createConnectionDecoder } from '../../../lib/decoders';
import type { FrameLike } from '../../../lib/decoders/types';

const N = 1000;
const t = (data: string, i: number, dir: 'send' | 'receive' = 'receive'): FrameLike => ({ kind: 'frame', seq: i + 1, dir, data });
const b = (bytes: Uint8Array, i: number, dir: 'send' | 'receive' = 'receive'): FrameLike => ({ kind: 'frame', seq: i + 1, dir, data: Uint8Array.from(bytes).buffer });
const payload = { user: 'ann', text: 'hello world', at: 1700000000000, tags: ['a', 'b'], nested: { x: 1, y: [1, 2, 3] } };

const cases: Record<string, FrameLike[]> = {
  'socket.io': Array.from({ length: N }, (_, i) => t(`42["chat",${JSON.stringify(payload)}]`, i)),
  stomp: Array.from({ length: N }, (_, i) => t(`MESSAGE\nsubscription:sub-0\nmessage-id:${i}\ndestination:/topic/chat\ncontent-type:application/json\n\n${JSON.stringify(payload)}\0`, i)),
  mqtt: Array.from({ length: N }, (_, i) => b(mqttPacket.generate({ cmd: 'publish', topic: 'sensors/kitchen/temp', payload: Buffer.from(JSON.stringify(payload)), qos: 1, messageId: (i % 60000) + 1, retain: false, dup: false }), i)),
  'graphql-ws': Array.from({ length: N }, (_, i) => t(JSON.stringify({ id: '1', type: 'next', payload: { data: payload } }), i)),
  'json-rpc': Array.from({ length: N }, (_, i) => t(JSON.stringify({ jsonrpc: '2.0', method: 'chat.send', params: payload, id: i }), i, 'send')),
  msgpack: Array.from({ length: N }, (_, i) => b(msgpack(payload), i)),
  cbor: Array.from({ length: N }, (_, i) => b(cbor(payload), i)),
  protobuf: Array.from({ length: N }, (_, i) => b(Uint8Array.of(0x08, 0x96, 0x01, 0x12, 0x0b, ...new TextEncoder().encode('hello world'), 0x1a, 0x04, 0x08, 0x01, 0x10, 0x02), i)),
  json: Array.from({ length: N }, (_, i) => t(JSON.stringify(payload), i)),
};

describe(`decode ${N} frames`, () => {
  for (const [id, frames] of Object.entries(cases)) {
    bench(id, () => {
      const decoder = createConnectionDecoder(id, { url: 'ws://h/', protocol: '' });
      for (const frame of frames) decoder.decode(frame);
    });
  }
});
