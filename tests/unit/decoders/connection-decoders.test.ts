import { describe, expect, it } from 'vitest';
import { ConnectionDecoders } from '../../../lib/decoders/connection-decoders';
import type { FrameLike } from '../../../lib/decoders/types';

const row = (connectionId: string, seq: number, data: string | ArrayBuffer, dir: 'send' | 'receive' = 'receive'): FrameLike & { connectionId: string } => ({ connectionId, seq, kind: 'frame', dir, data });

describe('ConnectionDecoders', () => {
  it('keeps one stateful decoder per connection and filters on decoded fields', () => {
    const d = new ConnectionDecoders();
    const sio = [row('a', 1, '0{"sid":"s"}'), row('a', 2, '42["chat","hi"]', 'send'), row('a', 3, '42["typing"]', 'send')];
    const gql = [row('b', 1, '{"type":"connection_init"}', 'send'), row('b', 2, '{"id":"1","type":"subscribe","payload":{"query":"subscription Feed { feed }"}}', 'send'), row('b', 3, '{"id":"1","type":"next","payload":{"data":{"feed":1}}}')];
    expect(d.detect('a', { url: 'ws://h/socket.io/?EIO=4&transport=websocket', protocol: '' }, sio).id).toBe('socket.io');
    expect(d.detect('b', { url: 'ws://h/graphql', protocol: 'graphql-transport-ws' }, gql).id).toBe('graphql-ws');
    expect(d.summary(sio[1])).toBe('event chat ["hi"]');
    const all = [...sio, ...gql];
    expect(all.filter(d.matcher('event=chat'))).toEqual([sio[1]]);
    // the next frame carries its operation's name, known from the subscribe frame before it
    expect(all.filter(d.matcher('operationName=feed'))).toEqual([gql[1], gql[2]]);
    expect(d.decode({ connectionId: 'a', kind: 'close', data: undefined })).toBeUndefined();
  });

  it('applies and clears the user override', () => {
    const d = new ConnectionDecoders();
    const frames = [row('c', 1, '{"jsonrpc":"2.0","method":"ping","id":1}', 'send')];
    expect(d.detect('c', { url: 'ws://h/', protocol: '' }, frames).id).toBe('json-rpc');
    expect(d.summary(frames[0])).toBe('call ping #1');
    d.setOverride('c', 'json');
    expect(d.decoderId('c')).toBe('json');
    expect(d.fields(frames[0])).toEqual({ jsonrpc: '2.0', method: 'ping', id: 1 });
    d.setOverride('c', null);
    expect(d.summary(frames[0])).toBe('call ping #1');
  });

  it('has no summary for a connection nothing was detected for', () => {
    const d = new ConnectionDecoders();
    const frames = [row('e', 1, 'hello there')];
    expect(d.detect('e', { url: 'ws://h/', protocol: '' }, frames).id).toBeNull();
    expect(d.summary(frames[0])).toBe('');
    expect(d.matcher('x')(frames[0])).toBe(false);
  });
});
