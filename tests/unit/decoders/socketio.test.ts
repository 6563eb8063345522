import { describe, expect, it } from 'vitest';
import { Encoder, PacketType } from 'socket.io-parser';
import { createConnectionDecoder, decodeFrame, detectDecoder } from '../../../lib/decoders';
import { binary, text, treeOf } from './helpers';

const conn = { url: 'ws://h/socket.io/?EIO=4&transport=websocket', protocol: '' };

/** What socket.io writes on the wire: Engine.IO "4" + each encoded Socket.IO packet; buffers as binary frames. */
function encode(packet: Parameters<Encoder['encode']>[0], dir: 'send' | 'receive' = 'send') {
  return new Encoder().encode(packet).map((part) => (typeof part === 'string' ? text('4' + part, dir) : binary(new Uint8Array(part as ArrayBuffer), dir)));
}

describe('Socket.IO decoder', () => {
  it('detects Socket.IO from the Engine.IO URL', () => {
    expect(detectDecoder(conn, []).id).toBe('socket.io');
    expect(detectDecoder({ url: 'ws://h/x', protocol: '' }, [text('0{"sid":"abc","upgrades":[],"pingInterval":25000}')]).id).toBe('socket.io');
  });

  it('decodes Engine.IO control packets', () => {
    const open = decodeFrame('socket.io', text('0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}'));
    expect(open).toMatchObject({ ok: true, summary: 'open sid=lv_VI97HAXpY6yYWAAAC', fields: { eio: 'open', sid: 'lv_VI97HAXpY6yYWAAAC' } });
    expect(decodeFrame('socket.io', text('2'))).toMatchObject({ ok: true, summary: 'ping' });
    expect(decodeFrame('socket.io', text('3probe'))).toMatchObject({ ok: true, summary: 'pong probe' });
  });

  it('decodes events with namespaces and acks, and names the event an ack answers', () => {
    const d = createConnectionDecoder('socket.io', conn);
    const [event] = encode({ type: PacketType.EVENT, nsp: '/chat', id: 12, data: ['message', { text: 'hi' }, 3] }, 'send');
    const r = d.decode(event);
    expect(r).toMatchObject({ ok: true, fields: { type: 'EVENT', event: 'message', nsp: '/chat', ackId: 12 } });
    expect(r.summary).toBe('event message /chat ack 12 [{text: "hi"}, 3]');
    const [ack] = encode({ type: PacketType.ACK, nsp: '/chat', id: 12, data: ['ok'] }, 'receive');
    const a = d.decode(ack);
    expect(a).toMatchObject({ ok: true, fields: { type: 'ACK', ackId: 12, event: 'message' } });
    expect(a.summary).toBe('ack 12 (message) /chat ["ok"]');
  });

  it('decodes CONNECT, CONNECT_ERROR and DISCONNECT', () => {
    expect(decodeFrame('socket.io', text('40{"sid":"x1"}'))).toMatchObject({ ok: true, summary: 'connect / sid=x1' });
    expect(decodeFrame('socket.io', text('44/admin,{"message":"Not authorized"}'))).toMatchObject({ ok: true, summary: 'connect_error /admin: Not authorized' });
    expect(decodeFrame('socket.io', text('41/admin,'))).toMatchObject({ ok: true, summary: 'disconnect /admin' });
  });

  it('joins binary attachments to their placeholder packet and amends it', () => {
    const d = createConnectionDecoder('socket.io', conn);
    const frames = encode({ type: PacketType.EVENT, nsp: '/', data: ['upload', Uint8Array.of(1, 2, 3).buffer, { thumb: Uint8Array.of(0xff).buffer }] }, 'send');
    expect(frames).toHaveLength(3);
    expect(frames[0].data).toMatch(/^452-\["upload",\{"_placeholder":true,"num":0\}/);
    const first = d.decode(frames[0]);
    expect(first).toMatchObject({ ok: true, fields: { type: 'BINARY_EVENT', event: 'upload', attachments: 2 } });
    expect(treeOf(first)).toContain('in the next binary frames');
    expect(d.decode(frames[1]).summary).toBe('attachment 1/2 3 bytes');
    const revision = d.revision;
    const last = d.decode(frames[2]);
    expect(last.summary).toMatch(/^attachment 2\/2 of event upload/);
    expect(d.revision).toBe(revision + 1);
    const amended = d.get(frames[0].seq!)!;
    expect(amended.ok).toBe(true);
    const tree = treeOf(amended);
    expect(tree).toContain('2 (joined)');
    expect(tree).toContain('<3 bytes> 01 02 03');
    expect(tree).toContain('<1 bytes> ff');
    expect(tree).not.toContain('_placeholder');
  });

  it('shows a binary frame without a placeholder packet as a plain binary message', () => {
    expect(decodeFrame('socket.io', binary([1, 2]))).toMatchObject({ ok: true, summary: 'binary message 2 bytes' });
  });

  it('fails with the raw frame and a reason on malformed packets, never throwing', () => {
    const bad = text('9nonsense');
    const r = decodeFrame('socket.io', bad);
    expect(r).toMatchObject({ ok: false, raw: '9nonsense' });
    expect(r.ok === false && r.error).toMatch(/not an Engine.IO packet/);
    const r2 = decodeFrame('socket.io', text('42["unterminated'));
    expect(r2.ok === false && r2.error).toMatch(/not a Socket.IO packet: invalid payload/);
    const r3 = decodeFrame('socket.io', text('0{not json'));
    expect(r3.ok === false && r3.error).toMatch(/handshake/);
  });
});
