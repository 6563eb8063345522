/**
 * Request↔response ids of MQTT (3.1, 3.1.1 and 5) over WebSocket: packet identifiers pair PUBLISH qos1 ↔ PUBACK,
 * PUBLISH qos2 ↔ PUBREC, PUBREL ↔ PUBCOMP, SUBSCRIBE ↔ SUBACK and UNSUBSCRIBE ↔ UNSUBACK; CONNECT ↔ CONNACK and
 * PINGREQ ↔ PINGRESP pair by order (they carry no id). Only the fixed header and the packet identifier are read
 * (the packet id sits right after the topic in PUBLISH and first in the others, in every version), so no
 * protocol level is needed. MQTT over WebSocket is a byte stream split anywhere (mqtt.js writes a packet in
 * pieces), so packets are reassembled per direction like the decoder does; a packet counts at the frame that
 * completes it.
 */
import { mqttPacketAt } from '../decoders/mqtt';
import { OrderedKeys, type FrameFacts, type FrameReader, type PairMark } from './frame-facts';

const TYPES = ['reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];
/** Key prefix of the answer each request waits for, by request packet type. */
const WAITS_FOR: Record<number, string> = { 6: 'PUBCOMP', 8: 'SUBACK', 10: 'UNSUBACK' };
/** The same key prefix, by answer packet type. */
const ANSWERS: Record<number, string> = { 4: 'PUBACK', 5: 'PUBREC', 7: 'PUBCOMP', 9: 'SUBACK', 11: 'UNSUBACK' };

export function mqttReader(): FrameReader {
  const ordered = new OrderedKeys();
  const partial = new Map<string, Uint8Array>();
  return (frame) => {
    if (!(frame.data instanceof ArrayBuffer)) return { type: frame.data === undefined ? '(no payload)' : 'text', heartbeat: false };
    const dir = frame.dir ?? 'receive';
    const incoming = new Uint8Array(frame.data);
    const earlier = partial.get(dir);
    partial.delete(dir);
    let bytes = incoming;
    if (earlier) {
      bytes = new Uint8Array(earlier.length + incoming.length);
      bytes.set(earlier);
      bytes.set(incoming, earlier.length);
    }
    const requests: PairMark[] = [];
    const responses: PairMark[] = [];
    const types: string[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const packet = mqttPacketAt(bytes, pos);
      if (packet === null) return { type: 'malformed', heartbeat: false };
      if (packet === undefined || pos + packet.total > bytes.length) break;
      const { total } = packet;
      const type = bytes[pos] >> 4;
      const flags = bytes[pos] & 0x0f;
      const body = pos + packet.header;
      const name = TYPES[type];
      const u16 = (at: number) => (at + 1 < pos + total ? (bytes[at] << 8) | bytes[at + 1] : undefined);
      types.push(name);
      if (type === 3) {
        const qos = (flags >> 1) & 3;
        const topicLength = u16(body);
        const id = qos > 0 && topicLength !== undefined ? u16(body + 2 + topicLength) : undefined;
        types[types.length - 1] = `PUBLISH qos${qos}`;
        if (id !== undefined) requests.push({ key: `${qos === 1 ? 'PUBACK' : 'PUBREC'}:${id}`, label: `PUBLISH qos${qos}` });
      } else if (WAITS_FOR[type] !== undefined) {
        const id = u16(body);
        if (id !== undefined) requests.push({ key: `${WAITS_FOR[type]}:${id}`, label: name });
      } else if (ANSWERS[type] !== undefined) {
        const id = u16(body);
        if (id !== undefined) responses.push({ key: `${ANSWERS[type]}:${id}`, label: name });
      } else if (type === 1) requests.push(ordered.request(dir, 'CONNECT'));
      else if (type === 2) responses.push(ordered.response(dir, 'CONNECT'));
      else if (type === 12) requests.push(ordered.request(dir, 'PINGREQ'));
      else if (type === 13) responses.push(ordered.response(dir, 'PINGREQ'));
      pos += total;
    }
    if (pos < bytes.length) partial.set(dir, bytes.slice(pos));
    const facts: FrameFacts = { type: types.length === 0 ? 'fragment' : [...new Set(types)].join(' + '), heartbeat: types.length > 0 && types.every((t) => t === 'PINGREQ' || t === 'PINGRESP') };
    if (requests.length) facts.requests = requests;
    if (responses.length) facts.responses = responses;
    return facts;
  };
}

