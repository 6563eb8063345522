import { describe, expect, it } from 'vitest';
import { CaptureConnection } from '@/lib/worker/capture-connection';
import { splitFrame } from '@/lib/shared/wire';
import type { BackgroundToRelayMessage, WireEvent, WireFrameEvent } from '@/lib/shared/protocol';
import type { Port } from '@/lib/shared/transport';

function setup() {
  const posted: BackgroundToRelayMessage[] = [];
  let disconnects = 0;
  let failSends = false;
  const port: Port<BackgroundToRelayMessage> = {
    send: (m) => {
      if (failSends) throw new Error('gone');
      posted.push(m);
    },
    listen: () => () => undefined,
    disconnect: () => void disconnects++,
  };
  return { connection: new CaptureConnection(port, 3), posted, disconnects: () => disconnects, failSends: () => (failSends = true) };
}
const ack = (batchSeq: number): BackgroundToRelayMessage => ({ ns: 'websocket-inspector', type: 'ack', batchSeq });
const frame: WireFrameEvent = { k: 'frame', connectionId: 'c', seq: 1, time: 1, dir: 'send', opcode: 1, encoding: 'text', payload: 'x'.repeat(25), size: 25, origin: 'page', status: 'sent' };

describe('CaptureConnection', () => {
  it('holds a frame\'s parts until the last, then gives it whole; a resent first part starts over', () => {
    const { connection } = setup();
    const parts = splitFrame(frame, 10);
    expect(connection.joinParts([parts[0], parts[1]])).toEqual([]);
    expect(connection.holdsParts).toBe(true);
    expect(connection.joinParts([parts[0]])).toEqual([]); // resent after a restart
    const ready = connection.joinParts(parts.slice(1));
    expect(ready).toEqual([frame]);
    expect(connection.holdsParts).toBe(false);
  });

  it('recalls connections opened and not closed yet', () => {
    const { connection } = setup();
    const connect: WireEvent = { k: 'connect', connectionId: 'c', url: 'wss://x/', protocols: [], frameUrl: '', time: 1 };
    const open: WireEvent = { k: 'open', connectionId: 'c', seq: 1, time: 2, protocol: '', extensions: '' };
    connection.trackOpened([connect, open]);
    expect(connection.recall('c')).toEqual({ connect, open });
    connection.forgetClosed([{ k: 'close', connectionId: 'c', seq: 2, time: 3, code: 1000, reason: '', wasClean: true }]);
    expect(connection.recall('c')).toBeUndefined();
  });

  it('runs steps in order, none after a failure to store, and drops the port so the relay resends', async () => {
    const { connection, disconnects } = setup();
    const ran: number[] = [];
    const errors: unknown[] = [];
    connection.enqueue(async () => void ran.push(1), (e) => errors.push(e));
    connection.enqueue(async () => {
      connection.dropAfterFailure();
      throw new Error('disk full');
    }, (e) => errors.push(e));
    connection.enqueue(async () => void ran.push(3), (e) => errors.push(e));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ran).toEqual([1]);
    expect(errors).toHaveLength(1);
    expect(disconnects()).toBe(1);
    expect(connection.post(ack(1))).toBe(false);
  });

  it('a send that throws closes it: nothing more is posted', () => {
    const t = setup();
    expect(t.connection.post(ack(1))).toBe(true);
    t.failSends();
    expect(t.connection.post(ack(2))).toBe(false);
    expect(t.posted).toEqual([ack(1)]);
  });
});
