/** Request↔response pairing of the JSON protocols, on payloads as their libraries write them. */
import { describe, expect, it } from 'vitest';
import { encode as msgpack } from '@msgpack/msgpack';
import { JsonHubProtocol } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { Conversation } from './rows';
import { pairRows } from './pairing-helpers';

describe('JSON-RPC pairing', () => {
  it('pairs a request with its result or error by id, whichever comes first, with the latency', () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","method":"getUser","params":[1],"id":1}');
    c.send('{"jsonrpc":"2.0","method":"getOrders","params":{"user":1},"id":"a"}', 5);
    c.send('{"jsonrpc":"2.0","method":"log","params":["no id: a notification"]}', 1);
    c.receive('{"jsonrpc":"2.0","result":[{"id":9}],"id":"a"}', 20);
    c.receive('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}', 30);
    const { pairs, unanswered } = pairRows('json-rpc', c.rows);
    expect(pairs).toEqual([
      [2, 4, 'getOrders', 21],
      [1, 5, 'getUser', 56],
    ]);
    expect(unanswered).toEqual([]);
  });

  it('tells the id 1 from the id "1", pairs batches, and pairs server→client requests the other way', () => {
    const c = new Conversation();
    c.send('[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b","id":"1"}]');
    c.receive('{"jsonrpc":"2.0","method":"ui.confirm","id":1}', 10);
    c.receive('[{"jsonrpc":"2.0","result":"B","id":"1"},{"jsonrpc":"2.0","result":"A","id":1}]', 10);
    c.send('{"jsonrpc":"2.0","result":true,"id":1}', 10);
    const { pairs } = pairRows('json-rpc', c.rows);
    expect(pairs).toEqual([
      [1, 3, 'b', 20],
      [1, 3, 'a', 20],
      [2, 4, 'ui.confirm', 20],
    ]);
  });

  it('reports a request with no answer within the timeout, and one still waiting at the end', () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","method":"slow","id":1}');
    c.send('{"jsonrpc":"2.0","method":"ping","id":2}', 31_000);
    c.receive('{"jsonrpc":"2.0","result":"late","id":1}', 1);
    const { pairs, unanswered } = pairRows('json-rpc', c.rows);
    expect(pairs).toEqual([]);
    expect(unanswered).toEqual([
      [1, 'slow', 'timeout'],
      [2, 'ping', 'end'],
    ]);
  });

  it('opens nothing for sends that never left (refused, dropped, blocked)', () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","method":"x","id":1}', 1, { status: 'refused' });
    c.receive('{"jsonrpc":"2.0","result":1,"id":1}');
    expect(pairRows('json-rpc', c.rows).pairs).toEqual([]);
  });
});

describe('GraphQL over WebSocket pairing', () => {
  it('pairs subscribe with its first next (graphql-transport-ws), by operation name; init↔ack and ping↔pong by order', () => {
    const c = new Conversation();
    c.send(stringifyMessage({ type: MessageType.ConnectionInit }));
    c.receive(stringifyMessage({ type: MessageType.ConnectionAck }), 3);
    c.send(stringifyMessage({ id: 'op1', type: MessageType.Subscribe, payload: { query: 'subscription OnMessage { message }' } }), 1);
    c.send(stringifyMessage({ id: 'op2', type: MessageType.Subscribe, payload: { query: '{ me { id } }' } }), 1);
    c.receive(stringifyMessage({ id: 'op1', type: MessageType.Next, payload: { data: { message: 'a' } } }), 40);
    c.receive(stringifyMessage({ id: 'op2', type: MessageType.Error, payload: [{ message: 'denied' }] }), 2);
    c.receive(stringifyMessage({ id: 'op1', type: MessageType.Next, payload: { data: { message: 'b' } } }), 100);
    c.receive(stringifyMessage({ type: MessageType.Ping }), 1);
    c.send(stringifyMessage({ type: MessageType.Pong }), 1);
    const { pairs, unanswered } = pairRows('graphql-ws', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'connection_init', 3],
      [3, 5, 'OnMessage', 41],
      [4, 6, '(anonymous query)', 42],
      [8, 9, 'ping', 1],
    ]);
    expect(unanswered).toEqual([]);
  });

  it('pairs the legacy graphql-ws start with data', () => {
    const c = new Conversation();
    c.send('{"id":"1","type":"start","payload":{"query":"query Q { a }","operationName":"Q"}}');
    c.receive('{"type":"ka"}', 5);
    c.receive('{"id":"1","type":"data","payload":{"data":{"a":1}}}', 5);
    expect(pairRows('graphql-ws', c.rows).pairs).toEqual([[1, 3, 'Q', 10]]);
  });
});

describe('SignalR pairing', () => {
  it('pairs an Invocation with its Completion by invocationId (JSON hub protocol), the handshake by order', () => {
    const json = new JsonHubProtocol();
    const c = new Conversation();
    c.send('{"protocol":"json","version":1}\u001e');
    c.receive('{}\u001e', 2);
    c.send(json.writeMessage({ type: 1, invocationId: '0', target: 'SendMessage', arguments: ['hi'], streamIds: [], headers: {} }) as string, 1);
    c.send(json.writeMessage({ type: 1, target: 'Fire', arguments: [], streamIds: [], headers: {} }) as string, 1);
    c.receive(json.writeMessage({ type: 6 }) as string, 1);
    c.receive(json.writeMessage({ type: 3, invocationId: '0', result: 'ok', headers: {} }) as string, 15);
    const { pairs, unanswered } = pairRows('signalr', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'handshake', 2],
      [3, 6, 'SendMessage', 17],
    ]);
    expect(unanswered).toEqual([]);
  });

  it('pairs MessagePack invocations, and a stream invocation with its first item', () => {
    const mp = new MessagePackHubProtocol();
    const c = new Conversation();
    c.send(new Uint8Array(mp.writeMessage({ type: 1, invocationId: '1', target: 'Add', arguments: [1, 2], streamIds: [], headers: {} })));
    c.send(new Uint8Array(mp.writeMessage({ type: 4, invocationId: '2', target: 'Counter', arguments: [3], streamIds: [], headers: {} })), 1);
    c.receive(new Uint8Array(mp.writeMessage({ type: 2, invocationId: '2', item: 0, headers: {} })), 7);
    c.receive(new Uint8Array(mp.writeMessage({ type: 3, invocationId: '1', result: 3, headers: {} })), 1);
    expect(pairRows('signalr', c.rows).pairs).toEqual([
      [2, 3, 'Counter', 7],
      [1, 4, 'Add', 9],
    ]);
  });
});

describe('WAMP pairing', () => {
  it('pairs CALL↔RESULT, SUBSCRIBE↔SUBSCRIBED, CALL↔ERROR and INVOCATION↔YIELD by request type and id (JSON)', () => {
    const c = new Conversation();
    c.send('[1,"realm1",{"roles":{"caller":{}}}]');
    c.receive('[2,9129137332,{"roles":{"broker":{}}}]', 4);
    c.send('[48,7814135,{},"com.myapp.ping"]', 1);
    c.send('[32,713845233,{},"com.myapp.mytopic1"]', 1);
    c.send('[48,7814136,{},"com.myapp.fail",[1]]', 1);
    c.receive('[33,713845233,5512315355]', 3);
    c.receive('[68,7814135,9823526,{}]', 1);
    c.receive('[50,7814135,{},["pong"]]', 6);
    c.send('[70,7814135,{},["done"]]', 1);
    c.receive('[8,48,7814136,{},"com.myapp.error.failed"]', 1);
    const { pairs, unanswered } = pairRows('wamp', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'HELLO', 4],
      [4, 6, 'SUBSCRIBE', 4],
      [3, 8, 'com.myapp.ping', 12],
      [7, 9, 'INVOCATION', 7],
      [5, 10, 'com.myapp.fail', 12],
    ]);
    expect(unanswered).toEqual([]);
  });

  it('pairs MessagePack frames, and acknowledged PUBLISH only', () => {
    const c = new Conversation();
    c.send(msgpack([16, 1, {}, 'topic.a', [1]]));
    c.send(msgpack([16, 2, { acknowledge: true }, 'topic.a', [2]]), 1);
    c.receive(msgpack([17, 2, 333]), 5);
    expect(pairRows('wamp', c.rows).pairs).toEqual([[2, 3, 'PUBLISH', 5]]);
  });
});

describe('user-defined JSON-path pairs', () => {
  it('pairs $.id with $.replyTo for a custom protocol, labelled by the message type', () => {
    const c = new Conversation();
    c.send('{"type":"getPrice","id":17,"sym":"X"}');
    c.receive('{"type":"tick","sym":"Y"}', 3);
    c.receive('{"type":"price","id":900,"replyTo":17,"px":1.5}', 9);
    const { pairs } = pairRows('json', c.rows, { pairPaths: { request: '$.id', response: '$.replyTo' } });
    expect(pairs).toEqual([[1, 3, 'getPrice', 12]]);
  });

  it('pairs by nested paths with brackets, and by one path on both sides ($.meta.rid ↔ $.meta.rid)', () => {
    const c = new Conversation();
    c.send('{"op":"get","meta":{"rid":"r1"}}');
    c.receive('{"op":"push","meta":{}}', 1);
    c.receive('{"op":"got","meta":{"rid":"r1"}}', 4);
    c.send('{"op":"get","meta":{"rid":"r2"}}', 1);
    c.receive('{"op":"got","meta":{"rid":"r2"}}', 2);
    expect(pairRows(null, c.rows, { pairPaths: { request: "$['meta'].rid", response: '$.meta["rid"]' } }).pairs).toEqual([
      [1, 3, 'get', 5],
      [4, 5, 'get', 2],
    ]);
    const d = new Conversation();
    d.send('{"body":[{"id":"x"}]}');
    d.receive('{"body":[{"id":"x","ok":true}]}', 8);
    expect(pairRows(null, d.rows, { pairPaths: { request: '$.body[0].id', response: '$.body[0].id' } }).pairs).toEqual([[1, 2, 'JSON object', 8]]);
  });

  it('replaces the protocol ids: JSON-RPC frames pair only by the paths given', () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","method":"m","id":1,"params":{"corr":"k"}}');
    c.receive('{"jsonrpc":"2.0","result":{"corr":"k"},"id":2}', 5);
    expect(pairRows('json-rpc', c.rows, { pairPaths: { request: '$.params.corr', response: '$.result.corr' } }).pairs).toEqual([[1, 2, 'm', 5]]);
  });
});
