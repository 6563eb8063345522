/** Traffic figures, heartbeats, and the session pass fed in chunks. */
import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { HeartbeatDetector } from '../../../lib/analysis/heartbeats';
import { createFrameReader } from '../../../lib/analysis/pair-keys';
import { SessionAnalysis } from '../../../lib/analysis/session-analysis';
import { TrafficStats, sizeBucket } from '../../../lib/analysis/stats';
import type { FrameRecord } from '../../../lib/shared/records';
import { Conversation } from './rows';

function heartbeatsOf(decoderId: string | null, rows: FrameRecord[]) {
  const read = createFrameReader(decoderId);
  const detector = new HeartbeatDetector();
  for (const row of rows) detector.observe(row, read(row));
  return detector;
}

describe('traffic stats', () => {
  it('counts frames and bytes each way, rates over the active span, log2 sizes, top types and the longest gaps', () => {
    const c = new Conversation();
    c.control('open');
    c.send('{"type":"sub","ch":"a"}', 0); // 23 bytes
    c.receive('{"type":"tick","p":1}', 250); // 21
    c.receive('{"type":"tick","p":2}', 250);
    c.receive('{"type":"tick","p":3}', 1500);
    c.send(new Uint8Array(300), 500);
    c.receive('', 500);
    c.control('close', 10);
    const stats = new TrafficStats({ gaps: 2, topTypes: 2 });
    for (const row of c.rows) stats.add(row, createFrameReader(null)(row).type);
    const s = stats.summary();
    expect(s).toMatchObject({ frames: 6, bytes: 23 + 21 * 3 + 300, sent: { frames: 2, bytes: 323 }, received: { frames: 4, bytes: 63 }, activeSpanMs: 3000, opens: 1, closes: 1, errors: 0, typeCount: 4 });
    expect(s.rates).toMatchObject({ framesPerSecond: 2, sentFramesPerSecond: 2 / 3, receivedFramesPerSecond: 4 / 3, bytesPerSecond: 386 / 3 });
    expect(s.sizeHistogram).toEqual([
      { minBytes: 0, maxBytes: 0, count: 1 },
      { minBytes: 16, maxBytes: 31, count: 4 },
      { minBytes: 256, maxBytes: 511, count: 1 },
    ]);
    expect(s.topTypes).toEqual([
      { type: 'tick', count: 3, bytes: 63 },
      { type: 'binary', count: 1, bytes: 300 },
    ]);
    expect(s.gaps.map((g) => [g.durationMs, g.before.seq, g.after.seq, g.start])).toEqual([
      [1500, 4, 5, c.rows[3].time],
      [500, 5, 6, c.rows[4].time],
    ]);
    expect(sizeBucket(1)).toBe(1);
    expect(sizeBucket(1024)).toBe(11);
  });

  it('has no rates for a single frame', () => {
    const stats = new TrafficStats();
    stats.add(new Conversation().send('x'), 'text');
    expect(stats.summary()).toMatchObject({ frames: 1, rates: null, activeSpanMs: 0, gaps: [] });
  });
});

describe('heartbeats', () => {
  it('knows protocol heartbeats: Socket.IO 2/3, STOMP EOLs, MQTT PINGREQ/PINGRESP, {"type":"ping"} patterns', () => {
    const sio = new Conversation();
    sio.receive('2', 25_000);
    sio.send('3', 2);
    sio.send('2probe', 1);
    sio.send('42["ping"]', 1);
    expect(sio.rows.map((r) => createFrameReader('socket.io')(r).heartbeat)).toEqual([true, true, false, false]);

    const stomp = new Conversation();
    stomp.send('\n');
    stomp.receive('\r\n', 1);
    stomp.send('SEND\ndestination:/q\n\nping\0', 1);
    expect(stomp.rows.map((r) => createFrameReader('stomp')(r).heartbeat)).toEqual([true, true, false]);

    const mqtt = new Conversation();
    mqtt.send(new Uint8Array(mqttPacket.generate({ cmd: 'pingreq' })));
    mqtt.receive(new Uint8Array(mqttPacket.generate({ cmd: 'pingresp' })), 3);
    expect(mqtt.rows.map((r) => createFrameReader('mqtt')(r).heartbeat)).toEqual([true, true]);

    const generic = new Conversation();
    for (const text of ['{"type":"ping"}', '{"event":"heartbeat","topic":"phoenix","payload":{},"ref":"7"}', '{"op":"pong"}', '{"ping":1700000000}', 'PONG', '{"type":"pingback","x":1}', '{"type":"message","text":"ping"}'])
      generic.send(text);
    expect(generic.rows.map((r) => createFrameReader(null)(r).heartbeat)).toEqual([true, true, true, true, true, false, false]);
    expect(heartbeatsOf('socket.io', sio.rows).heartbeats().map((h) => [h.kind, h.dir, h.label, h.count])).toEqual([
      ['protocol', 'receive', 'ping', 1],
      ['protocol', 'send', 'pong', 1],
    ]);
  });

  it('detects a small payload repeated at a regular interval, and not irregular or rare repeats', () => {
    const c = new Conversation();
    for (let i = 0; i < 6; i++) {
      c.send(new Uint8Array([0x9, 0x0]), i === 0 ? 0 : 5_000 + (i % 2 ? 300 : -300));
      c.receive('ok', 40);
      c.receive(`{"n":${i}}`, 10);
    }
    c.send('ok', 1); // the same text the other way is another series
    const irregular = [100, 9_000, 300, 20_000, 50];
    for (const gap of irregular) c.receive('ack', gap);
    const detector = heartbeatsOf('json', c.rows);
    expect(detector.heartbeats().map((h) => [h.kind, h.dir, h.label, h.count, Math.round(h.intervalMs)])).toEqual([
      ['repeated', 'send', '0x0900', 6, 5110],
      ['repeated', 'receive', 'ok', 6, 5110],
    ]);
    expect(detector.isRepeatedHeartbeat(c.rows[0])).toBe(true);
    expect(detector.isRepeatedHeartbeat(c.rows[1])).toBe(true);
    expect(detector.isRepeatedHeartbeat(c.rows[2])).toBe(false);
    expect(detector.isRepeatedHeartbeat(c.rows[18])).toBe(false);
    expect(detector.isRepeatedHeartbeat(c.rows[19])).toBe(false);
    expect(detector.frameCount).toBe(12);
  });
});

/** A mixed session of two connections: JSON-RPC with heartbeats, and MQTT split across frames. */
function mixedSession(): FrameRecord[] {
  const rpc = new Conversation('rpc');
  const mq = new Conversation('mq');
  rpc.control('open');
  mq.time = rpc.time + 3;
  mq.control('open');
  for (let i = 0; i < 40; i++) {
    rpc.send(`{"jsonrpc":"2.0","method":"${i % 3 ? 'get' : 'put'}","id":${i}}`, 100);
    if (i % 10 !== 9) rpc.receive(`{"jsonrpc":"2.0","result":${i},"id":${i}}`, 5 + (i % 7));
    if (i % 8 === 0) rpc.send('{"type":"ping"}', 1);
    const publish = new Uint8Array(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from(`v${i}`), qos: 1, messageId: i + 1, retain: false, dup: false }));
    mq.send(publish.subarray(0, 3), 90);
    mq.send(publish.subarray(3), 1);
    mq.receive(new Uint8Array(mqttPacket.generate({ cmd: 'puback', messageId: i + 1 })), 3 + (i % 4));
  }
  rpc.control('close', 10);
  return [...rpc.rows, ...mq.rows].sort((a, b) => a.time - b.time);
}

describe('session analysis', () => {
  it('gives the same result fed in one chunk or in chunks of any size', () => {
    const rows = mixedSession();
    const analyse = (chunk: number) => {
      const analysis = new SessionAnalysis({ decoderIds: { rpc: 'json-rpc', mq: 'mqtt' } });
      for (let i = 0; i < rows.length; i += chunk) analysis.push(rows.slice(i, i + chunk));
      analysis.finish();
      return analysis.result();
    };
    const whole = analyse(rows.length);
    for (const chunk of [1, 7, 64]) expect(analyse(chunk)).toEqual(whole);
    const [rpc, mq] = whole.connections;
    expect(rpc).toMatchObject({ connectionId: 'rpc', decoderId: 'json-rpc', pairing: { pairs: 36, unanswered: 4, dropped: 0, outstanding: 0 }, heartbeatFrames: 5 });
    expect(rpc.pairing.unansweredByLabel).toEqual({ put: 2, get: 2 });
    expect(rpc.latency.overall).toMatchObject({ count: 36, max: 11, min: 5 });
    expect(rpc.latency.byLabel.map((l) => [l.label, l.count])).toEqual([['get', 24], ['put', 12]]);
    // A PUBLISH split in two frames counts from the frame that completes it.
    expect(mq).toMatchObject({ connectionId: 'mq', pairing: { pairs: 40, unanswered: 0 }, latency: { overall: { count: 40, min: 3, max: 6 } } });
    expect(mq.traffic.topTypes.map((t) => [t.type, t.count])).toEqual([['PUBACK', 40], ['PUBLISH qos1', 40], ['fragment', 40]]);
    expect(whole.session).toMatchObject({ frames: rpc.traffic.frames + mq.traffic.frames, pairs: 76, unanswered: 4, heartbeatFrames: 5, opens: 2, closes: 1 });
  });

  it('answers isHeartbeat for a filter, rows in any order', () => {
    const rows = mixedSession();
    const analysis = new SessionAnalysis({ decoderIds: { rpc: 'json-rpc', mq: 'mqtt' } });
    analysis.push(rows);
    const beats = [...rows].reverse().filter((r) => analysis.isHeartbeat(r));
    expect(beats.map((r) => r.data)).toEqual(Array(5).fill('{"type":"ping"}'));
  });
});
