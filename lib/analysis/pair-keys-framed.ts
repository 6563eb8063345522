/**
 * Request↔response ids of the framed text protocols: Socket.IO ack ids (Engine.IO v4 / Socket.IO v5 packets, read
 * with socket.io-parser like the decoder), STOMP `receipt` ↔ RECEIPT `receipt-id`, and SockJS's heartbeat frames.
 * Each reader is a FrameReader (see frame-facts.ts).
 */
import { Decoder as SocketIoDecoder, PacketType } from 'socket.io-parser';
import { parseStompFrames } from '../decoders/stomp';
import { OrderedKeys, frameText, plainFacts, type FrameFacts, type FrameReader, type PairMark } from './frame-facts';

interface SocketIoPacket {
  type: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

const ENGINE_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];

/**
 * Socket.IO: an event sent with an ack id (`421["evt",…]`: message, EVENT, id 1) waits for the ACK with the same id
 * and namespace from the other side (`431[…]`), either way round. Engine.IO ping↔pong pairs by order (the server
 * pings in Engine.IO 4) and both are heartbeats; the `2probe`/`3probe` upgrade check is not.
 */
export function socketIoReader(): FrameReader {
  const ordered = new OrderedKeys();
  // decodeString is the parser's own packet reader; add() would also emit events and keep reconstruction state.
  const parser = new SocketIoDecoder() as unknown as { decodeString(s: string): SocketIoPacket };
  return (frame) => {
    if (typeof frame.data !== 'string') return { type: frame.data === undefined ? '(no payload)' : 'binary attachment', heartbeat: false };
    const text = frame.data;
    const engine = ENGINE_TYPES[text.charCodeAt(0) - 0x30];
    if (engine === undefined) return plainFacts(frame);
    const dir = frame.dir ?? 'receive';
    if (engine === 'ping' || engine === 'pong') {
      const probe = text.slice(1) === 'probe';
      const facts: FrameFacts = { type: probe ? `${engine} probe` : engine, heartbeat: !probe };
      if (!probe) facts[engine === 'ping' ? 'requests' : 'responses'] = [engine === 'ping' ? ordered.request(dir, 'ping') : ordered.response(dir, 'ping')];
      return facts;
    }
    if (engine !== 'message') return { type: engine, heartbeat: false };
    let packet: SocketIoPacket;
    try {
      packet = parser.decodeString(text.slice(1));
    } catch {
      return { type: 'message', heartbeat: false };
    }
    const nsp = packet.nsp ?? '/';
    const key = packet.id !== undefined ? `${nsp}#${packet.id}` : undefined;
    if (packet.type === PacketType.EVENT || packet.type === PacketType.BINARY_EVENT) {
      const event = Array.isArray(packet.data) ? String(packet.data[0]) : 'event';
      const facts: FrameFacts = { type: event, heartbeat: false };
      if (key !== undefined) facts.requests = [{ key, label: event }];
      return facts;
    }
    if (packet.type === PacketType.ACK || packet.type === PacketType.BINARY_ACK) {
      const facts: FrameFacts = { type: 'ack', heartbeat: false };
      if (key !== undefined) facts.responses = [{ key, label: 'ack' }];
      return facts;
    }
    const names: Record<number, string> = { [PacketType.CONNECT]: 'connect', [PacketType.DISCONNECT]: 'disconnect', [PacketType.CONNECT_ERROR]: 'connect_error' };
    const name = names[packet.type] ?? 'message';
    // CONNECT to a namespace is answered by CONNECT (or CONNECT_ERROR) from the server: pair by order per namespace.
    const facts: FrameFacts = { type: name, heartbeat: false };
    if (packet.type === PacketType.CONNECT) facts[dir === 'send' ? 'requests' : 'responses'] = [dir === 'send' ? ordered.request(dir, `connect ${nsp}`, 'connect') : ordered.response(dir, `connect ${nsp}`)];
    if (packet.type === PacketType.CONNECT_ERROR && dir === 'receive') facts.responses = [ordered.response(dir, `connect ${nsp}`)];
    return facts;
  };
}

/**
 * STOMP: a client frame with a `receipt` header waits for the RECEIPT (or an ERROR) with that `receipt-id`. A
 * message holding only EOLs is a heart-beat. CONNECT/STOMP↔CONNECTED pairs by order.
 */
export function stompReader(): FrameReader {
  const ordered = new OrderedKeys();
  return (frame) => {
    if (frame.data === undefined) return plainFacts(frame);
    const bytes = typeof frame.data === 'string' ? new TextEncoder().encode(frame.data) : new Uint8Array(frame.data);
    let frames;
    try {
      frames = parseStompFrames(bytes);
    } catch {
      return plainFacts(frame);
    }
    if (frames.length === 0) return { type: 'heart-beat', heartbeat: true };
    const dir = frame.dir ?? 'receive';
    const requests: PairMark[] = [];
    const responses: PairMark[] = [];
    const types: string[] = [];
    for (const f of frames) {
      const header = (name: string) => f.headers.find(([k]) => k === name)?.[1];
      const destination = header('destination');
      types.push(destination !== undefined ? `${f.command} ${destination}` : f.command);
      const receipt = header('receipt');
      const receiptId = header('receipt-id');
      if (receipt !== undefined && f.command !== 'RECEIPT') requests.push({ key: receipt, label: f.command });
      if (receiptId !== undefined && (f.command === 'RECEIPT' || f.command === 'ERROR')) responses.push({ key: receiptId, label: f.command });
      if (f.command === 'CONNECT' || f.command === 'STOMP') requests.push(ordered.request(dir, 'CONNECT'));
      if (f.command === 'CONNECTED') responses.push(ordered.response(dir, 'CONNECT'));
    }
    return { type: types.join(' + '), heartbeat: false, requests, responses };
  };
}

const SOCKJS_TYPES: Record<string, string> = { o: 'open', h: 'heartbeat', a: 'message', m: 'message', c: 'close' };

/** SockJS: `h` frames are its heartbeats; the messages inside `a[…]` have no ids SockJS itself knows. */
export function sockJsReader(): FrameReader {
  return (frame) => {
    const text = frameText(frame);
    if (text === undefined) return plainFacts(frame);
    // The client sends plain JSON arrays of messages; the server prefixes a frame letter.
    const type = frame.dir === 'send' ? 'message' : (SOCKJS_TYPES[text.charAt(0)] ?? 'text');
    return { type, heartbeat: type === 'heartbeat' };
  };
}
