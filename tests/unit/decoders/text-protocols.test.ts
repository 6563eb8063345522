import { describe, expect, it } from 'vitest';
import { createConnectionDecoder, decodeFrame, detectDecoder } from '../../../lib/decoders';
import { binary, text, treeOf } from './helpers';

const tree = treeOf;

describe('STOMP decoder', () => {
  it('detects STOMP from the subprotocol or a CONNECT frame', () => {
    expect(detectDecoder({ url: 'ws://h/ws', protocol: 'v12.stomp' }, []).id).toBe('stomp');
    expect(detectDecoder({ url: 'ws://h/ws', protocol: '' }, [text('CONNECT\naccept-version:1.2\nhost:h\n\n\0', 'send')]).id).toBe('stomp');
  });

  it('decodes frames, escaped headers, JSON bodies and heart-beats', () => {
    expect(decodeFrame('stomp', text('CONNECT\naccept-version:1.2,1.1\nhost:broker\n\n\0', 'send'))).toMatchObject({ ok: true, summary: 'CONNECT broker', fields: { command: 'CONNECT', host: 'broker' } });
    expect(decodeFrame('stomp', text('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'))).toMatchObject({ ok: true, summary: 'CONNECTED v1.2' });
    const sub = decodeFrame('stomp', text('SUBSCRIBE\nid:sub-0\ndestination:/topic/chat\n\n\0', 'send'));
    expect(sub).toMatchObject({ ok: true, summary: 'SUBSCRIBE /topic/chat id=sub-0', fields: { destination: '/topic/chat', id: 'sub-0' } });
    const msg = decodeFrame('stomp', text('MESSAGE\r\nsubscription:sub-0\r\nmessage-id:7\r\ndestination:/topic/a\\cb\r\ncontent-type:application/json\r\n\r\n{"n":1}\0'));
    expect(msg).toMatchObject({ ok: true, summary: 'MESSAGE /topic/a:b 7 bytes', fields: { destination: '/topic/a:b', subscription: 'sub-0', 'message-id': '7' } });
    expect(tree(msg)).toContain('n: 1');
    expect(decodeFrame('stomp', text('\n'))).toMatchObject({ ok: true, summary: 'heart-beat' });
    // content-length allows NUL inside the body; two frames in one message.
    const body = 'a\0b';
    const two = decodeFrame('stomp', binary(new TextEncoder().encode(`SEND\ndestination:/q\ncontent-length:3\n\n${body}\0\nRECEIPT\nreceipt-id:77\n\n\0`)));
    expect(two).toMatchObject({ ok: true, summary: 'SEND /q 3 bytes + RECEIPT 77', fields: { command: ['SEND', 'RECEIPT'], destination: '/q' } });
    expect(decodeFrame('stomp', text('ERROR\nmessage:bad frame\n\nDetails\0'))).toMatchObject({ ok: true, summary: 'ERROR: bad frame 7 bytes' });
  });

  it('reports malformed frames', () => {
    expect(decodeFrame('stomp', text('HELLO\n\n\0'))).toMatchObject({ ok: false, error: 'unknown STOMP command "HELLO"', raw: 'HELLO\n\n\0' });
    expect(decodeFrame('stomp', text('SEND\ndestination:/q\n\nno terminator'))).toMatchObject({ ok: false, error: 'STOMP SEND frame without its terminating NUL' });
    expect(decodeFrame('stomp', text('SEND\nbroken header\n\n\0'))).toMatchObject({ ok: false, error: 'STOMP header line without a colon: "broken header"' });
    expect(decodeFrame('stomp', text('SEND\ndestination:/q\\t\n\n\0'))).toMatchObject({ ok: false, error: 'invalid header escape \\t' });
    expect(decodeFrame('stomp', text('SEND\ncontent-length:10\n\nab\0'))).toMatchObject({ ok: false });
  });
});

describe('SockJS decoder', () => {
  it('detects the SockJS WebSocket transport URL', () => {
    expect(detectDecoder({ url: 'ws://h/echo/123/abcdef/websocket', protocol: '' }, []).id).toBe('sockjs');
  });
  it('decodes open, heart-beat, message arrays, close and client sends, with STOMP inside', () => {
    expect(decodeFrame('sockjs', text('o'))).toMatchObject({ ok: true, summary: 'open' });
    expect(decodeFrame('sockjs', text('h'))).toMatchObject({ ok: true, summary: 'heart-beat' });
    expect(decodeFrame('sockjs', text('a["hello","{\\"a\\":1}"]'))).toMatchObject({ ok: true, summary: 'messages "hello" | {a: 1}', fields: { type: 'messages', messages: 2 } });
    expect(decodeFrame('sockjs', text('c[3000,"Go away!"]'))).toMatchObject({ ok: true, summary: 'close 3000 Go away!', fields: { code: 3000 } });
    const stomp = decodeFrame('sockjs', text(JSON.stringify(['SEND\ndestination:/app/chat\n\nhi\0']), 'send'));
    expect(stomp).toMatchObject({ ok: true, summary: 'send SEND /app/chat 2 bytes', fields: { type: 'send', command: 'SEND', destination: '/app/chat' } });
  });
  it('reports malformed frames', () => {
    expect(decodeFrame('sockjs', text('x'))).toMatchObject({ ok: false, error: 'unknown SockJS frame type "x"' });
    expect(decodeFrame('sockjs', text('a{"no":1}'))).toMatchObject({ ok: false, error: 'SockJS "a" frame is not followed by a JSON array' });
    const r = decodeFrame('sockjs', text('a["open'));
    expect(r.ok === false && r.error).toMatch(/^invalid JSON/);
  });
});

describe('GraphQL over WebSocket decoder', () => {
  it('detects both subprotocols', () => {
    expect(detectDecoder({ url: 'ws://h/graphql', protocol: 'graphql-transport-ws' }, []).id).toBe('graphql-ws');
    expect(detectDecoder({ url: 'ws://h/x', protocol: 'graphql-ws' }, []).id).toBe('graphql-ws');
  });
  it('names operations from the query and carries the name to next/complete by id', () => {
    const conn = { url: 'ws://h/graphql', protocol: 'graphql-transport-ws' };
    const d = createConnectionDecoder('graphql-ws', conn);
    expect(d.decode(text('{"type":"connection_init","payload":{"token":"t"}}', 'send')).summary).toBe('connection_init');
    const sub = d.decode(text(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '# comment query Wrong\nsubscription OnMessage($room: ID!) { message(room: $room) { text } }', variables: { room: 'a' } } }), 'send'));
    expect(sub).toMatchObject({ ok: true, summary: 'subscribe OnMessage #1', fields: { operationName: 'OnMessage', operationType: 'subscription', id: '1' } });
    expect(tree(sub)).toContain('room: "a"');
    expect(d.decode(text('{"id":"1","type":"next","payload":{"data":{"message":{"text":"x"}}}}'))).toMatchObject({ ok: true, summary: 'next OnMessage #1', fields: { operationName: 'OnMessage' } });
    const explicit = d.decode(text(JSON.stringify({ id: '2', type: 'subscribe', payload: { query: 'query A { a } query B { b }', operationName: 'B' } }), 'send'));
    expect(explicit).toMatchObject({ fields: { operationName: 'B' } });
    expect(d.decode(text('{"id":"2","type":"error","payload":[{"message":"boom"}]}')).summary).toBe('error B #2: boom');
    expect(d.decode(text('{"id":"1","type":"complete"}', 'send')).summary).toBe('complete OnMessage #1');
    expect(d.decode(text('{"type":"subscribe","id":"3","payload":{"query":"{ hello }"}}', 'send')).summary).toBe('subscribe (anonymous query) #3');
  });
  it('decodes the legacy protocol', () => {
    const d = createConnectionDecoder('graphql-ws', { url: '', protocol: 'graphql-ws' });
    expect(d.decode(text('{"id":"1","type":"start","payload":{"query":"query Q { q }"}}', 'send')).summary).toBe('start Q #1');
    expect(d.decode(text('{"id":"1","type":"data","payload":{"data":{"q":1}}}')).summary).toBe('data Q #1');
    expect(d.decode(text('{"type":"ka"}')).summary).toBe('ka');
  });
  it('reports malformed messages', () => {
    expect(decodeFrame('graphql-ws', text('{"id":"1"}'))).toMatchObject({ ok: false, error: 'GraphQL over WebSocket message without a "type"' });
    expect(decodeFrame('graphql-ws', text('{"type":"bogus"}'))).toMatchObject({ ok: false, error: 'unknown GraphQL over WebSocket message type "bogus"' });
  });
});

describe('JSON-RPC decoder', () => {
  it('detects JSON-RPC from the first frames', () => {
    expect(detectDecoder({ url: 'ws://h/', protocol: '' }, [text('{"jsonrpc":"2.0","method":"eth_subscribe","params":[],"id":1}', 'send')]).id).toBe('json-rpc');
  });
  it('decodes requests, notifications, results, errors and batches, naming the method a response answers', () => {
    const d = createConnectionDecoder('json-rpc', { url: '', protocol: '' });
    expect(d.decode(text('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}', 'send'))).toMatchObject({ ok: true, summary: 'call subtract #1 [42, 23]', fields: { kind: 'request', method: 'subtract', id: '1' } });
    expect(d.decode(text('{"jsonrpc":"2.0","result":19,"id":1}'))).toMatchObject({ ok: true, summary: 'result #1 (subtract) 19', fields: { kind: 'result', method: 'subtract' } });
    expect(d.decode(text('{"jsonrpc":"2.0","method":"update","params":{"a":1}}'))).toMatchObject({ summary: 'notify update {a: 1}', fields: { kind: 'notification' } });
    expect(d.decode(text('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"x"}'))).toMatchObject({ summary: 'error #"x" -32601 Method not found', fields: { errorCode: -32601 } });
    const batch = d.decode(text('[{"jsonrpc":"2.0","method":"a","id":5},{"jsonrpc":"2.0","method":"b"}]', 'send'));
    expect(batch).toMatchObject({ ok: true, fields: { kind: 'batch', method: ['a', 'b'] } });
  });
  it('reports non-JSON-RPC messages', () => {
    expect(decodeFrame('json-rpc', text('{"method":"x"}'))).toMatchObject({ ok: false, error: 'not a JSON-RPC 2.0 message (no "jsonrpc": "2.0")' });
    expect(decodeFrame('json-rpc', text('[]'))).toMatchObject({ ok: false, error: 'empty JSON-RPC batch' });
    expect(decodeFrame('json-rpc', text('{"jsonrpc":"2.0","id":1}'))).toMatchObject({ ok: false });
  });
});

describe('Action Cable decoder', () => {
  it('detects the actioncable subprotocol', () => {
    expect(detectDecoder({ url: 'ws://h/cable', protocol: 'actioncable-v1-json' }, []).id).toBe('actioncable');
  });
  it('decodes commands, control messages and broadcasts', () => {
    expect(decodeFrame('actioncable', text('{"type":"welcome"}'))).toMatchObject({ ok: true, summary: 'welcome' });
    expect(decodeFrame('actioncable', text('{"command":"subscribe","identifier":"{\\"channel\\":\\"ChatChannel\\",\\"room\\":\\"1\\"}"}', 'send'))).toMatchObject({ ok: true, summary: 'subscribe ChatChannel', fields: { command: 'subscribe', channel: 'ChatChannel' } });
    expect(decodeFrame('actioncable', text('{"command":"message","identifier":"{\\"channel\\":\\"ChatChannel\\"}","data":"{\\"action\\":\\"speak\\",\\"text\\":\\"hi\\"}"}', 'send'))).toMatchObject({ summary: 'message ChatChannel speak', fields: { action: 'speak' } });
    expect(decodeFrame('actioncable', text('{"identifier":"{\\"channel\\":\\"ChatChannel\\"}","message":{"text":"hi"}}'))).toMatchObject({ summary: 'broadcast ChatChannel {text: "hi"}', fields: { type: 'broadcast', channel: 'ChatChannel' } });
    expect(decodeFrame('actioncable', text('{"type":"disconnect","reason":"unauthorized","reconnect":false}'))).toMatchObject({ summary: 'disconnect unauthorized' });
  });
  it('reports unknown shapes', () => {
    expect(decodeFrame('actioncable', text('[1]'))).toMatchObject({ ok: false, error: 'Action Cable message is not a JSON object' });
    expect(decodeFrame('actioncable', text('{"x":1}'))).toMatchObject({ ok: false });
  });
});
