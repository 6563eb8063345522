/**
 * MQTT 3.1, 3.1.1 and 5 over WebSocket (binary frames; one frame may hold several packets).
 * A small reader instead of mqtt-packet: mqtt-packet parses through Node's Buffer, `bl` and readable-stream,
 * which the panel would have to polyfill; reading the packet layout needs ~250 lines and no dependency.
 * The unit tests check this reader against frames that mqtt-packet itself generates.
 * The protocol level comes from the CONNECT packet (per-connection state), as do topic aliases (MQTT 5).
 * MQTT over WebSocket is a byte stream: mqtt.js and aedes write a packet in pieces (one WebSocket message per
 * stream write: fixed header, length, fields), so the state reassembles packets per direction and, when a packet
 * completes, amends the earlier frames that held its first parts.
 */
import { DecodeError, type DecodedNode, type DecodeResult, type FieldValue, type FrameDecoder } from './types';
import { hex, node, parseJson, printableText, valueNode } from './values';

const TYPES = ['reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

type PropertyKind = 'byte' | 'u16' | 'u32' | 'varint' | 'utf8' | 'binary' | 'pair';
const PROPERTIES: Record<number, [string, PropertyKind]> = {
  0x01: ['payloadFormatIndicator', 'byte'],
  0x02: ['messageExpiryInterval', 'u32'],
  0x03: ['contentType', 'utf8'],
  0x08: ['responseTopic', 'utf8'],
  0x09: ['correlationData', 'binary'],
  0x0b: ['subscriptionIdentifier', 'varint'],
  0x11: ['sessionExpiryInterval', 'u32'],
  0x12: ['assignedClientIdentifier', 'utf8'],
  0x13: ['serverKeepAlive', 'u16'],
  0x15: ['authenticationMethod', 'utf8'],
  0x16: ['authenticationData', 'binary'],
  0x17: ['requestProblemInformation', 'byte'],
  0x18: ['willDelayInterval', 'u32'],
  0x19: ['requestResponseInformation', 'byte'],
  0x1a: ['responseInformation', 'utf8'],
  0x1c: ['serverReference', 'utf8'],
  0x1f: ['reasonString', 'utf8'],
  0x21: ['receiveMaximum', 'u16'],
  0x22: ['topicAliasMaximum', 'u16'],
  0x23: ['topicAlias', 'u16'],
  0x24: ['maximumQoS', 'byte'],
  0x25: ['retainAvailable', 'byte'],
  0x26: ['userProperty', 'pair'],
  0x27: ['maximumPacketSize', 'u32'],
  0x28: ['wildcardSubscriptionAvailable', 'byte'],
  0x29: ['subscriptionIdentifierAvailable', 'byte'],
  0x2a: ['sharedSubscriptionAvailable', 'byte'],
};

interface MqttState {
  /** Protocol level from CONNECT: 3 (3.1), 4 (3.1.1) or 5. */
  level?: number;
  /** MQTT 5 topic aliases, per direction. */
  aliases: Map<string, string>;
  /** Bytes of an incomplete packet per direction, and the seqs of the frames they came from. */
  partial: Map<string, { bytes: Uint8Array; seqs: number[] }>;
}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new DecodeError(`truncated ${what}`);
  }
  byte(what = 'byte'): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }
  u16(what = 'two-byte integer'): number {
    this.need(2, what);
    const v = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return v;
  }
  u32(what = 'four-byte integer'): number {
    this.need(4, what);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getUint32(0);
    this.pos += 4;
    return v;
  }
  varint(what = 'variable byte integer'): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte(what);
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw new DecodeError(`malformed ${what} (more than 4 bytes)`);
  }
  binary(what = 'binary data'): Uint8Array {
    const length = this.u16(`${what} length`);
    this.need(length, what);
    const v = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return v;
  }
  utf8(what = 'string'): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.binary(what));
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      throw new DecodeError(`${what} is not valid UTF-8`);
    }
  }
  rest(): Uint8Array {
    const v = this.bytes.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
}

function readProperties(r: Reader): { props: Record<string, unknown>; node: DecodedNode } {
  const length = r.varint('properties length');
  r.need(length, 'properties');
  const inner = new Reader(r.bytes, r.pos, r.pos + length);
  r.pos += length;
  const props: Record<string, unknown> = {};
  const children: DecodedNode[] = [];
  while (inner.remaining > 0) {
    const id = inner.varint('property identifier');
    const known = PROPERTIES[id];
    if (!known) throw new DecodeError(`unknown MQTT 5 property 0x${id.toString(16)}`);
    const [name, kind] = known;
    let value: unknown;
    switch (kind) {
      case 'byte': value = inner.byte(name); break;
      case 'u16': value = inner.u16(name); break;
      case 'u32': value = inner.u32(name); break;
      case 'varint': value = inner.varint(name); break;
      case 'utf8': value = inner.utf8(name); break;
      case 'binary': value = inner.binary(name); break;
      case 'pair': value = [inner.utf8(`${name} name`), inner.utf8(`${name} value`)]; break;
    }
    if (kind === 'pair') {
      const [k, v] = value as [string, string];
      children.push(node(name, `${k} = ${v}`));
      ((props[name] ??= []) as unknown[]).push(value);
    } else {
      children.push(valueNode(name, value));
      props[name] = value;
    }
  }
  return { props, node: node('properties', `${children.length}`, children) };
}

function payloadNode(payload: Uint8Array): DecodedNode {
  const text = printableText(payload);
  if (text !== undefined) {
    try {
      if (/^\s*[[{]/.test(text)) return valueNode('payload (JSON)', parseJson(text));
    } catch {
      // not JSON after all: shown as text
    }
    return node('payload', `${JSON.stringify(text)} (${payload.length} bytes)`);
  }
  return node('payload', `<${payload.length} bytes> ${hex(payload)}`);
}

interface Packet {
  summary: string;
  fields: Record<string, FieldValue>;
  tree: DecodedNode;
}

function readPacket(r: Reader, state: MqttState, dir: string): Packet {
  const start = r.pos;
  const first = r.byte('fixed header');
  const type = first >> 4;
  const flags = first & 0x0f;
  const length = r.varint('remaining length');
  const name = TYPES[type];
  if (type === 0) throw new DecodeError('reserved MQTT packet type 0');
  if (r.pos + length > r.end) throw new DecodeError(`truncated ${name}: needs ${length} bytes after the fixed header, the frame has ${r.end - r.pos}`);
  const p = new Reader(r.bytes, r.pos, r.pos + length);
  r.pos += length;
  const v5 = () => (state.level ?? 4) >= 5;
  const children: DecodedNode[] = [node('type', `${type} ${name}`)];
  const fields: Record<string, FieldValue> = { type: name };
  let summary: string = name;
  switch (type) {
    case 1: {
      const protocolName = p.utf8('protocol name');
      const level = p.byte('protocol level');
      if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp') throw new DecodeError(`CONNECT with unknown protocol name ${JSON.stringify(protocolName)}`);
      state.level = level;
      const connectFlags = p.byte('connect flags');
      const keepAlive = p.u16('keep alive');
      children.push(node('protocol', `${protocolName} level ${level} (${level === 5 ? 'MQTT 5' : level === 4 ? 'MQTT 3.1.1' : 'MQTT 3.1'})`), node('clean start', Boolean(connectFlags & 0x02)), node('keep alive', `${keepAlive} s`));
      if (level >= 5) children.push(readProperties(p).node);
      const clientId = p.utf8('client identifier');
      fields.clientId = clientId;
      fields.version = level;
      children.push(node('client id', clientId));
      if (connectFlags & 0x04) {
        const will: DecodedNode[] = [];
        if (level >= 5) will.push(readProperties(p).node);
        const willTopic = p.utf8('will topic');
        will.push(node('topic', willTopic), payloadNode(p.binary('will payload')), node('qos', (connectFlags >> 3) & 3), node('retain', Boolean(connectFlags & 0x20)));
        children.push(node('will', willTopic, will));
      }
      if (connectFlags & 0x80) {
        const username = p.utf8('user name');
        fields.username = username;
        children.push(node('user name', username));
      }
      if (connectFlags & 0x40) children.push(node('password', `<${p.binary('password').length} bytes>`));
      summary = `CONNECT ${clientId || '(empty client id)'} v${level === 5 ? '5' : level === 4 ? '3.1.1' : '3.1'}`;
      break;
    }
    case 2: {
      const ack = p.byte('acknowledge flags');
      const code = p.byte('return code');
      children.push(node('session present', Boolean(ack & 1)), node(v5() ? 'reason code' : 'return code', code));
      if (v5() && p.remaining > 0) children.push(readProperties(p).node);
      fields.reasonCode = code;
      summary = `CONNACK ${code === 0 ? 'accepted' : `refused ${code}`}`;
      break;
    }
    case 3: {
      const qos = (flags >> 1) & 3;
      const retain = Boolean(flags & 1);
      const dup = Boolean(flags & 8);
      let topic = p.utf8('topic name');
      const packetId = qos > 0 ? p.u16('packet identifier') : undefined;
      if (v5()) {
        const { props, node: propsNode } = readProperties(p);
        children.push(propsNode);
        const alias = props.topicAlias as number | undefined;
        if (alias !== undefined) {
          const key = `${dir}:${alias}`;
          if (topic) state.aliases.set(key, topic);
          else topic = state.aliases.get(key) ?? `(topic alias ${alias})`;
        }
      }
      const payload = p.rest();
      children.splice(1, 0, node('topic', topic), node('qos', qos), node('retain', retain), node('dup', dup));
      if (packetId !== undefined) children.push(node('packet id', packetId));
      children.push(payloadNode(payload));
      Object.assign(fields, { topic, qos, retain });
      if (packetId !== undefined) fields.packetId = packetId;
      summary = `PUBLISH ${topic} qos${qos}${retain ? ' retain' : ''} ${payload.length} bytes`;
      break;
    }
    case 4: case 5: case 6: case 7: case 11: {
      const packetId = p.u16('packet identifier');
      fields.packetId = packetId;
      children.push(node('packet id', packetId));
      if (v5() && type !== 11 && p.remaining > 0) {
        const code = p.byte('reason code');
        fields.reasonCode = code;
        children.push(node('reason code', code));
        if (p.remaining > 0) children.push(readProperties(p).node);
      }
      if (type === 11 && v5()) {
        children.push(readProperties(p).node);
        const codes = Array.from(p.rest());
        children.push(node('reason codes', codes.join(', ')));
      }
      summary = `${name} id ${packetId}`;
      break;
    }
    case 8: case 10: {
      const packetId = p.u16('packet identifier');
      children.push(node('packet id', packetId));
      if (v5()) children.push(readProperties(p).node);
      const topics: string[] = [];
      const list: DecodedNode[] = [];
      while (p.remaining > 0) {
        const topic = p.utf8('topic filter');
        topics.push(topic);
        if (type === 8) {
          const options = p.byte('subscription options');
          list.push(node(topic, `qos${options & 3}${options & 4 ? ' no-local' : ''}${options & 8 ? ' retain-as-published' : ''}`));
        } else list.push(node(topic));
      }
      if (topics.length === 0) throw new DecodeError(`${name} without topic filters`);
      children.push(node('topic filters', topics.length, list));
      fields.packetId = packetId;
      fields.topic = topics.length === 1 ? topics[0] : topics;
      summary = `${name} ${topics.join(', ')}`;
      break;
    }
    case 9: {
      const packetId = p.u16('packet identifier');
      children.push(node('packet id', packetId));
      if (v5()) children.push(readProperties(p).node);
      const codes = Array.from(p.rest());
      children.push(node(v5() ? 'reason codes' : 'return codes', codes.join(', ')));
      fields.packetId = packetId;
      summary = `SUBACK id ${packetId} ${codes.map((c) => (c >= 0x80 ? `fail ${c}` : `qos${c}`)).join(', ')}`;
      break;
    }
    case 12: case 13:
      break;
    case 14: case 15:
      if (v5() && p.remaining > 0) {
        const code = p.byte('reason code');
        fields.reasonCode = code;
        children.push(node('reason code', code));
        if (p.remaining > 0) children.push(readProperties(p).node);
        summary = `${name} reason ${code}`;
      }
      break;
  }
  if (p.remaining > 0) throw new DecodeError(`${name} has ${p.remaining} unexpected trailing bytes`);
  children.push(node('bytes', `${r.pos - start}`));
  return { summary, fields, tree: node(name, summary, children) };
}

/**
 * The MQTT packet at `pos`: its fixed header's length and its whole length; undefined while the fixed header is
 * incomplete, null when its remaining length is malformed (more than 4 bytes). Also what lib/analysis reads
 * packets by.
 */
export function mqttPacketAt(bytes: Uint8Array, pos: number): { header: number; total: number } | undefined | null {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (pos + i >= bytes.length) return undefined;
    const b = bytes[pos + i];
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return { header: 1 + i, total: 1 + i + value };
    multiplier *= 128;
  }
  return null;
}

/** Bytes the next packet at `pos` needs in all, or undefined while its fixed header is itself incomplete. */
function packetLength(bytes: Uint8Array, pos: number): number | undefined {
  const packet = mqttPacketAt(bytes, pos);
  if (packet === null) throw new DecodeError('malformed remaining length (more than 4 bytes)');
  return packet?.total;
}

function combine(packets: Packet[]): Packet {
  if (packets.length === 1) return packets[0];
  const fields: Record<string, FieldValue> = {};
  for (const packet of packets) {
    for (const [k, v] of Object.entries(packet.fields)) {
      const prev = fields[k];
      fields[k] = prev === undefined ? v : ([] as Array<string | number | boolean>).concat(prev, v);
    }
  }
  return { summary: packets.map((p) => p.summary).join(' + '), fields, tree: node('MQTT packets', packets.length, packets.map((p) => p.tree)) };
}

export const mqttDecoder: FrameDecoder<MqttState> = {
  id: 'mqtt',
  label: 'MQTT',
  detect(ctx) {
    if (/^mqtt/i.test(ctx.protocol)) return 1;
    const first = ctx.firstFrames[0]?.data;
    if (first instanceof ArrayBuffer && first.byteLength > 8) {
      const b = new Uint8Array(first);
      // CONNECT: type 1, then after the remaining length the protocol name "MQTT" or "MQIsdp".
      if (b[0] === 0x10) {
        const text = String.fromCharCode(...b.subarray(0, 16));
        if (text.includes('MQTT') || text.includes('MQIsdp')) return 0.95;
      }
    }
    return /\/mqtt\b/.test(ctx.url) ? 0.5 : 0;
  },
  createState: () => ({ aliases: new Map(), partial: new Map() }),
  decode(frame, state) {
    if (typeof frame.data === 'string') throw new DecodeError('MQTT is binary, this is a text frame');
    if (frame.data === undefined) throw new DecodeError('the frame has no payload');
    const dir = frame.dir ?? 'receive';
    const incoming = new Uint8Array(frame.data);
    if (incoming.length === 0) throw new DecodeError('empty frame');
    const earlier = state.partial.get(dir);
    state.partial.delete(dir);
    let bytes = incoming;
    if (earlier) {
      bytes = new Uint8Array(earlier.bytes.length + incoming.length);
      bytes.set(earlier.bytes);
      bytes.set(incoming, earlier.bytes.length);
    }
    const ownSeqs = frame.seq !== undefined ? [frame.seq] : [];
    const r = new Reader(bytes, 0, bytes.length);
    const packets: Packet[] = [];
    let firstStartedEarlier = false;
    for (;;) {
      if (r.remaining === 0) break;
      const total = packetLength(bytes, r.pos);
      if (total === undefined || r.pos + total > bytes.length) break;
      if (packets.length === 0 && earlier && r.pos < earlier.bytes.length) firstStartedEarlier = true;
      packets.push(readPacket(r, state, dir));
    }
    const rest = bytes.subarray(r.pos);
    const restStartedHere = !earlier || r.pos >= earlier.bytes.length;
    if (rest.length > 0) state.partial.set(dir, { bytes: rest.slice(), seqs: restStartedHere ? ownSeqs : [...earlier!.seqs, ...ownSeqs] });
    const pendingNote = () => {
      const type = TYPES[rest[0] >> 4] ?? 'packet';
      const total = packetLength(rest, 0);
      return `${type}: ${rest.length} of ${total ?? '?'} bytes, continues in the next frame`;
    };
    if (packets.length === 0) {
      const type = TYPES[rest[0] >> 4];
      return {
        summary: `part of ${pendingNote()}`,
        fields: { type, fragment: true },
        tree: node('MQTT packet fragment', pendingNote(), [node('bytes in this frame', incoming.length)]),
      };
    }
    const result: DecodeResult = { ...combine(packets) };
    if (firstStartedEarlier && earlier) {
      const [first] = packets;
      const parts = earlier.seqs.length + 1;
      result.summary = `last part of ${result.summary}`;
      result.amend = earlier.seqs.map((seq, i) => ({
        seq,
        decoded: { summary: `part ${i + 1}/${parts} of ${first.summary}`, fields: { ...first.fields, fragment: true }, tree: node('MQTT packet fragment', `part ${i + 1} of ${parts}`, [first.tree]) },
      }));
    }
    if (rest.length > 0) result.summary += ` + start of ${pendingNote()}`;
    return result;
  },
};
