import { describe, expect, it } from 'vitest';
import { ConnectionDecoders, decodedRowMatcher } from '../../../lib/decoders/connection-decoders';
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

  it('an export in a worker filters on decoded fields as the panel did, from the decoder ids in use', () => {
    const panel = new ConnectionDecoders();
    const sio = [row('a', 1, '0{"sid":"s"}'), row('a', 2, '42["chat","hi"]', 'send'), row('a', 3, '42["typing"]', 'send')];
    const rpc = [row('c', 1, '{"jsonrpc":"2.0","method":"chat","id":1}', 'send')];
    const plain = [row('e', 1, 'event chat')];
    const connections = new Map([
      ['a', { url: 'ws://h/socket.io/?EIO=4&transport=websocket', protocol: '' }],
      ['c', { url: 'ws://h/', protocol: '' }],
      ['e', { url: 'ws://h/', protocol: '' }],
    ]);
    panel.detect('a', connections.get('a')!, sio);
    panel.detect('c', connections.get('c')!, rpc);
    panel.setOverride('c', 'json'); // the user's "Decode as"
    panel.detect('e', connections.get('e')!, plain);
    const ids = panel.inUse(['a', 'c', 'e']);
    expect(ids).toEqual({ a: 'socket.io', c: 'json' });
    const all = [...sio, ...rpc, ...plain];
    for (const query of ['event=chat', 'method=chat', 'chat', '-event:chat']) {
      // A fresh matcher, as in the worker: the rows come again from the start, in seq order.
      expect(all.filter(decodedRowMatcher(query, ids, connections))).toEqual(all.filter(panel.matcher(query)));
    }
    expect(all.filter(decodedRowMatcher('event=chat', ids, connections))).toEqual([sio[1]]);
    expect(all.filter(decodedRowMatcher('method=chat', ids, connections))).toEqual([rpc[0]]);
  });
});
