/**
 * Engine.IO v4 / Socket.IO v5-protocol (Socket.IO 3 and 4) over WebSocket.
 * Engine.IO packets are read with engine.io-parser and Socket.IO packets with socket.io-parser's own decoder, so
 * we read exactly what the library writes. Binary attachments follow their placeholder packet as separate binary
 * frames in the same direction; the per-connection state joins them and amends the placeholder frame's result.
 */
import { decodePacket } from 'engine.io-parser';
import { Decoder as SocketIoDecoder, PacketType } from 'socket.io-parser';
import { DecodeError, type DecodedNode, type DecodeResult, type FrameDecoder, type FrameLike } from './types';
import { hex, isRecord, node, preview, valueNode } from './values';

interface SocketIoPacket {
  type: number;
  nsp: string;
  id?: number;
  data?: unknown;
  attachments?: number;
}

interface PendingBinary {
  packet: SocketIoPacket;
  seq: number | undefined;
  buffers: Uint8Array[];
}

interface SocketIoState {
  /** A binary packet waiting for its attachments, per direction. */
  pending: Map<string, PendingBinary>;
  /** Event name by ack id, per direction of the event (acks come back the other way). */
  acks: Map<string, string>;
}

const ENGINE_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];
const SOCKET_TYPES: Record<number, string> = {
  [PacketType.CONNECT]: 'CONNECT',
  [PacketType.DISCONNECT]: 'DISCONNECT',
  [PacketType.EVENT]: 'EVENT',
  [PacketType.ACK]: 'ACK',
  [PacketType.CONNECT_ERROR]: 'CONNECT_ERROR',
  [PacketType.BINARY_EVENT]: 'BINARY_EVENT',
  [PacketType.BINARY_ACK]: 'BINARY_ACK',
};

function parseSocketIo(text: string): SocketIoPacket {
  // decodeString is the parser's own packet reader; add() would also emit and keep reconstruction state we
  // keep ourselves per direction (so that a stray frame cannot wedge the decoder).
  const decoder = new SocketIoDecoder() as unknown as { decodeString(s: string): SocketIoPacket };
  try {
    return decoder.decodeString(text);
  } catch (error) {
    throw new DecodeError(`not a Socket.IO packet: ${(error as Error).message}`);
  }
}

/** Replaces `{ _placeholder: true, num }` objects by the attachment bytes (as socket.io-parser's reconstructPacket). */
function joinAttachments(value: unknown, buffers: Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => joinAttachments(v, buffers));
  if (isRecord(value)) {
    if (value._placeholder === true && typeof value.num === 'number') return buffers[value.num] ?? value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, joinAttachments(v, buffers)]));
  }
  return value;
}

function other(dir: string): string {
  return dir === 'send' ? 'receive' : 'send';
}

function describePacket(packet: SocketIoPacket, state: SocketIoState, dir: string, joined: boolean): DecodeResult {
  const typeName = SOCKET_TYPES[packet.type] ?? String(packet.type);
  const fields: DecodeResult['fields'] = { type: typeName, nsp: packet.nsp };
  const children: DecodedNode[] = [node('type', `${packet.type} ${typeName}`), node('namespace', packet.nsp)];
  const nsp = packet.nsp === '/' ? '' : ` ${packet.nsp}`;
  let summary: string;
  if (packet.id !== undefined) {
    fields.ackId = packet.id;
    children.push(node('ack id', packet.id));
  }
  if (packet.attachments !== undefined) {
    fields.attachments = packet.attachments;
    children.push(node('attachments', joined ? `${packet.attachments} (joined)` : `${packet.attachments} (in the next binary frames)`));
  }
  const isEvent = packet.type === PacketType.EVENT || packet.type === PacketType.BINARY_EVENT;
  const isAck = packet.type === PacketType.ACK || packet.type === PacketType.BINARY_ACK;
  if (isEvent && Array.isArray(packet.data)) {
    const [event, ...args] = packet.data;
    fields.event = String(event);
    children.push(node('event', String(event)), valueNode('arguments', args));
    if (packet.id !== undefined) state.acks.set(`${dir}:${packet.id}`, String(event));
    summary = `event ${String(event)}${nsp}${packet.id !== undefined ? ` ack ${packet.id}` : ''}${args.length ? ' ' + preview(args, 60) : ''}`;
  } else if (isAck) {
    const event = packet.id !== undefined ? state.acks.get(`${other(dir)}:${packet.id}`) : undefined;
    if (event !== undefined) {
      fields.event = event;
      children.push(node('acknowledges event', event));
    }
    children.push(valueNode('arguments', packet.data));
    summary = `ack ${packet.id ?? '?'}${event !== undefined ? ` (${event})` : ''}${nsp} ${preview(packet.data, 60)}`;
  } else if (packet.type === PacketType.CONNECT) {
    if (packet.data !== undefined) children.push(valueNode(dir === 'send' ? 'auth' : 'handshake', packet.data));
    const sid = isRecord(packet.data) && typeof packet.data.sid === 'string' ? packet.data.sid : undefined;
    if (sid) fields.sid = sid;
    summary = `connect ${packet.nsp}${sid ? ` sid=${sid}` : ''}`;
  } else if (packet.type === PacketType.CONNECT_ERROR) {
    children.push(valueNode('error', packet.data));
    const message = isRecord(packet.data) ? packet.data.message : packet.data;
    summary = `connect_error ${packet.nsp}: ${typeof message === 'string' ? message : preview(packet.data, 60)}`;
  } else {
    summary = `disconnect ${packet.nsp}`;
  }
  return { summary, fields, tree: node('Socket.IO packet', typeName, children) };
}

export const socketIoDecoder: FrameDecoder<SocketIoState> = {
  id: 'socket.io',
  label: 'Socket.IO / Engine.IO',
  detect(ctx) {
    let url: URL | undefined;
    try {
      url = new URL(ctx.url);
    } catch {
      url = undefined;
    }
    const eio = url?.searchParams.get('EIO');
    if (url && eio && url.searchParams.get('transport') === 'websocket') return eio === '4' ? 1 : 0.6;
    if (url?.pathname.includes('/socket.io/')) return 0.9;
    const first = ctx.firstFrames.find((f) => typeof f.data === 'string');
    if (typeof first?.data === 'string' && /^0\{"sid":/.test(first.data)) return 0.9;
    if (typeof first?.data === 'string' && /^2probe$/.test(first.data)) return 0.9;
    return 0;
  },
  createState: () => ({ pending: new Map(), acks: new Map() }),
  decode(frame: FrameLike, state, _ctx): DecodeResult {
    const dir = frame.dir ?? 'receive';
    if (frame.data === undefined) throw new DecodeError('the frame has no payload');
    if (typeof frame.data !== 'string') {
      // Engine.IO v4 sends binary messages as raw binary frames: a Socket.IO attachment or a plain binary message.
      const bytes = new Uint8Array(frame.data);
      const pending = state.pending.get(dir);
      if (!pending) {
        return {
          summary: `binary message ${bytes.length} bytes`,
          fields: { eio: 'message', binary: true },
          tree: node('Engine.IO packet', 'message (binary)', [node('data', `<${bytes.length} bytes> ${hex(bytes)}`)]),
        };
      }
      pending.buffers.push(bytes);
      const total = pending.packet.attachments ?? 0;
      const index = pending.buffers.length;
      const attachmentNode = node('attachment', `${index} of ${total}: ${bytes.length} bytes`, [node('data', hex(bytes))]);
      if (index < total) {
        return {
          summary: `attachment ${index}/${total} ${bytes.length} bytes`,
          fields: { eio: 'message', type: 'attachment', ...(pending.packet.data && Array.isArray(pending.packet.data) && pending.packet.type === PacketType.BINARY_EVENT ? { event: String(pending.packet.data[0]) } : {}) },
          tree: node('Socket.IO binary attachment', undefined, [attachmentNode]),
        };
      }
      state.pending.delete(dir);
      const joinedPacket = { ...pending.packet, data: joinAttachments(pending.packet.data, pending.buffers) };
      const joined = describePacket(joinedPacket, state, dir, true);
      const result: DecodeResult = {
        summary: `attachment ${index}/${total} of ${joined.summary}`,
        fields: { ...joined.fields, type: 'attachment' },
        tree: node('Socket.IO binary attachment', undefined, [attachmentNode, node('completes', joined.summary, [joined.tree])]),
      };
      if (pending.seq !== undefined) result.amend = [{ seq: pending.seq, decoded: joined }];
      return result;
    }

    const packet = decodePacket(frame.data);
    if (packet.type === 'error') throw new DecodeError(`not an Engine.IO packet (type ${JSON.stringify(frame.data.charAt(0))})`);
    const eioNode = node('Engine.IO type', `${ENGINE_TYPES.indexOf(packet.type)} ${packet.type}`);
    const text = typeof packet.data === 'string' ? packet.data : undefined;
    if (packet.type !== 'message') {
      const children = [eioNode];
      let summary: string = packet.type;
      const fields: DecodeResult['fields'] = { eio: packet.type };
      if (packet.type === 'open' && text) {
        let handshake: unknown;
        try {
          handshake = JSON.parse(text);
        } catch {
          throw new DecodeError('Engine.IO open packet without a JSON handshake');
        }
        children.push(valueNode('handshake', handshake));
        if (isRecord(handshake) && typeof handshake.sid === 'string') {
          fields.sid = handshake.sid;
          summary = `open sid=${handshake.sid}`;
        }
      } else if (text) {
        children.push(node('data', text));
        summary += ` ${text}`;
      }
      return { summary, fields, tree: node('Engine.IO packet', packet.type, children) };
    }
    const socketPacket = parseSocketIo(text ?? '');
    if (socketPacket.type === PacketType.BINARY_EVENT || socketPacket.type === PacketType.BINARY_ACK) {
      state.pending.set(dir, { packet: socketPacket, seq: frame.seq, buffers: [] });
    }
    const decoded = describePacket(socketPacket, state, dir, false);
    decoded.fields.eio = 'message';
    decoded.tree.children!.unshift(eioNode);
    return decoded;
  },
};
