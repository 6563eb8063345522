/** Request↔response pairing of Socket.IO, STOMP and MQTT, on frames as their libraries write them. */
import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { Encoder, PacketType } from 'socket.io-parser';
import { Conversation } from './rows';
import { pairRows } from './pairing-helpers';

/** An Engine.IO message frame as socket.io writes it: '4' + the Socket.IO packet. */
const sio = (packet: Parameters<Encoder['encode']>[0]) => '4' + (new Encoder().encode(packet)[0] as string);
const mqtt = (packet: object, protocolVersion: 4 | 5 = 4) => new Uint8Array(mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion }));

describe('Socket.IO pairing', () => {
  it('pairs an event sent with an ack id with its ACK (421[…] ↔ 431[…]), per namespace, both ways', () => {
    const c = new Conversation();
    c.receive('0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
    c.send('40', 1);
    c.receive('40{"sid":"xyz"}', 2);
    c.send(sio({ type: PacketType.EVENT, nsp: '/', id: 1, data: ['getRoom', 5] }), 1);
    expect(c.rows[3].data).toBe('421["getRoom",5]');
    c.send(sio({ type: PacketType.EVENT, nsp: '/admin', id: 1, data: ['kick', 'bob'] }), 1);
    c.send(sio({ type: PacketType.EVENT, nsp: '/', data: ['typing'] }), 1);
    c.receive(sio({ type: PacketType.ACK, nsp: '/admin', id: 1, data: [true] }), 4);
    c.receive(sio({ type: PacketType.ACK, nsp: '/', id: 1, data: [{ room: 5 }] }), 6);
    expect(c.rows[7].data).toBe('431[{"room":5}]');
    c.receive(sio({ type: PacketType.EVENT, nsp: '/', id: 7, data: ['confirm?'] }), 1);
    c.send(sio({ type: PacketType.ACK, nsp: '/', id: 7, data: ['yes'] }), 3);
    c.receive('2', 100);
    c.send('3', 2);
    const { pairs, unanswered } = pairRows('socket.io', c.rows);
    expect(pairs).toEqual([
      [2, 3, 'connect', 2],
      [5, 7, 'kick', 5],
      [4, 8, 'getRoom', 12],
      [9, 10, 'confirm?', 3],
      [11, 12, 'ping', 2],
    ]);
    expect(unanswered).toEqual([]);
  });
});

describe('STOMP pairing', () => {
  it('pairs a frame carrying receipt with the RECEIPT naming it (receipt-id), and CONNECT with CONNECTED', () => {
    const c = new Conversation();
    c.send('CONNECT\naccept-version:1.2\nhost:broker\nheart-beat:10000,10000\n\n\0');
    c.receive('CONNECTED\nversion:1.2\nheart-beat:10000,10000\n\n\0', 5);
    c.send('SUBSCRIBE\nid:sub-0\ndestination:/topic/chat\nreceipt:r-1\n\n\0', 1);
    c.send('SEND\ndestination:/queue/a\nreceipt:r-2\ncontent-type:text/plain\n\nhello\0', 1);
    c.send('\n', 1);
    c.receive('RECEIPT\nreceipt-id:r-1\n\n\0', 3);
    c.receive('ERROR\nreceipt-id:r-2\nmessage:no such queue\n\n\0', 4);
    c.send('DISCONNECT\nreceipt:r-3\n\n\0', 1);
    const { pairs, unanswered } = pairRows('stomp', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'CONNECT', 5],
      [3, 6, 'SUBSCRIBE', 5],
      [4, 7, 'SEND', 8],
    ]);
    expect(unanswered).toEqual([[8, 'DISCONNECT', 'end']]);
  });
});

describe('MQTT pairing', () => {
  it('pairs by packet id: PUBLISH qos1↔PUBACK, qos2↔PUBREC, PUBREL↔PUBCOMP, SUBSCRIBE↔SUBACK, UNSUBSCRIBE↔UNSUBACK; CONNECT and PINGREQ by order', () => {
    const c = new Conversation();
    c.send(mqtt({ cmd: 'connect', clientId: 'c1', protocolId: 'MQTT', protocolVersion: 4, keepalive: 60, clean: true }));
    c.receive(mqtt({ cmd: 'connack', returnCode: 0, sessionPresent: false }), 4);
    c.send(mqtt({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] }), 1);
    c.receive(mqtt({ cmd: 'suback', messageId: 1, granted: [1] }), 3);
    c.send(mqtt({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 2, retain: false, dup: false }), 1);
    c.send(mqtt({ cmd: 'publish', topic: 'a/c', payload: Buffer.from('y'), qos: 2, messageId: 3, retain: false, dup: false }), 1);
    c.send(mqtt({ cmd: 'publish', topic: 'a/d', payload: Buffer.from('z'), qos: 0, retain: false, dup: false }), 1);
    c.receive(mqtt({ cmd: 'puback', messageId: 2 }), 2);
    c.receive(mqtt({ cmd: 'pubrec', messageId: 3 }), 1);
    c.send(mqtt({ cmd: 'pubrel', messageId: 3 }), 1);
    c.receive(mqtt({ cmd: 'pubcomp', messageId: 3 }), 2);
    // The broker's qos1 PUBLISH to the client is acknowledged the other way.
    c.receive(mqtt({ cmd: 'publish', topic: 'a/e', payload: Buffer.from('w'), qos: 1, messageId: 2, retain: false, dup: false }), 1);
    c.send(mqtt({ cmd: 'puback', messageId: 2 }), 1);
    c.send(mqtt({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a/#'] }), 1);
    c.receive(mqtt({ cmd: 'unsuback', messageId: 4 }), 2);
    c.send(mqtt({ cmd: 'pingreq' }), 100);
    c.receive(mqtt({ cmd: 'pingresp' }), 7);
    const { pairs, unanswered } = pairRows('mqtt', c.rows);
    expect(pairs).toEqual([
      [1, 2, 'CONNECT', 4],
      [3, 4, 'SUBSCRIBE', 3],
      [5, 8, 'PUBLISH qos1', 4],
      [6, 9, 'PUBLISH qos2', 4],
      [10, 11, 'PUBREL', 2],
      [12, 13, 'PUBLISH qos1', 1],
      [14, 15, 'UNSUBSCRIBE', 2],
      [16, 17, 'PINGREQ', 7],
    ]);
    expect(unanswered).toEqual([]);
  });

  it('reassembles packets split across frames (as mqtt.js writes them) and reads MQTT 5 packet ids', () => {
    const publish = mqtt({ cmd: 'publish', topic: 'sensors/1', payload: Buffer.from('21.5'), qos: 1, messageId: 77, retain: false, dup: false, properties: { contentType: 'text/plain' } }, 5);
    const c = new Conversation();
    c.send(mqtt({ cmd: 'connect', clientId: 'c5', protocolId: 'MQTT', protocolVersion: 5, keepalive: 60, clean: true }, 5));
    c.send(publish.subarray(0, 2), 5);
    c.send(publish.subarray(2, 9), 1);
    c.send(publish.subarray(9), 1);
    const ack = mqtt({ cmd: 'puback', messageId: 77, reasonCode: 0 }, 5);
    c.receive(ack, 10);
    const { pairs } = pairRows('mqtt', c.rows);
    expect(pairs).toEqual([[4, 5, 'PUBLISH qos1', 10]]);
  });
});
