import { describe, expect, it } from 'vitest';
import { BatchQueue, MAX_BATCH_WEIGHT, ROW_WEIGHT } from '@/lib/relay/batch-queue';
import { frameCodeOf, type PackedBatch } from '@/lib/shared/protocol';
import { packWireEvents, unpackBatch } from '@/lib/shared/packed-batch';

const code = frameCodeOf('send', 1, 'page', 'sent');

/** Sends everything sendPending offers, recording batch numbers; `fail` refuses from that number on. */
function sender(fail = Infinity) {
  const sent: number[] = [];
  const send = (batchSeq: number, _packed: PackedBatch) => {
    if (batchSeq >= fail) return false;
    sent.push(batchSeq);
    return true;
  };
  return { sent, send };
}

describe('BatchQueue', () => {
  it('numbers sealed batches, keeps them until a cumulative ack, and counts the one being built', () => {
    const queue = new BatchQueue();
    queue.addFrame('c1', code, 1, 1, 'a', 1);
    expect(queue.count).toBe(1);
    expect(queue.sealedCount).toBe(0);
    queue.seal();
    queue.addFrame('c1', code, 2, 2, 'b', 1);
    queue.seal();
    queue.seal(); // nothing being built: no empty batch
    expect(queue.sealedCount).toBe(2);
    const { sent, send } = sender();
    expect(queue.sendPending(send)).toBe(true);
    expect(sent).toEqual([1, 2]);
    queue.ack(1);
    expect(queue.count).toBe(1);
    queue.ack(5);
    expect(queue.count).toBe(0);
  });

  it('sends each batch once per port, and all unacknowledged again after a restart', () => {
    const queue = new BatchQueue();
    for (const seq of [1, 2, 3]) {
      queue.addFrame('c1', code, seq, seq, 'x', 1);
      queue.seal();
    }
    const first = sender(3);
    queue.sendPending(first.send);
    expect(first.sent).toEqual([1, 2]); // the port failed at 3
    queue.ack(1);
    const again = sender();
    queue.sendPending(again.send);
    expect(again.sent).toEqual([3]);
    queue.restart();
    const resend = sender();
    queue.sendPending(resend.send);
    expect(resend.sent).toEqual([2, 3]);
  });

  it('seals before a row that would not fit, and sends about one batch weight per call', () => {
    const queue = new BatchQueue();
    const half = 'q'.repeat(MAX_BATCH_WEIGHT / 2);
    for (let seq = 1; seq <= 4; seq++) queue.addFrame('c1', code, seq, seq, half, half.length);
    queue.seal();
    expect(queue.sealedCount).toBe(4); // half + ROW_WEIGHT twice is over the weight: one row per batch
    const { sent, send } = sender();
    expect(queue.sendPending(send)).toBe(false);
    expect(sent).toEqual([1]);
    expect(queue.sendPending(send)).toBe(false);
    expect(sent).toEqual([1, 2]);
    expect(ROW_WEIGHT).toBeGreaterThan(0);
  });

  it('a packed batch goes after what was built before it, in its own number', () => {
    const queue = new BatchQueue();
    queue.addFrame('c1', code, 1, 1, 'built', 5);
    const packed = packWireEvents([{ k: 'connect', connectionId: 'c2', url: 'wss://x/', protocols: [], frameUrl: '', time: 1 }]);
    queue.addPacked(packed, 10);
    const batches: Array<[number, PackedBatch]> = [];
    queue.sendPending((seq, p) => batches.push([seq, p]) > 0);
    expect(batches.map(([seq]) => seq)).toEqual([1, 2]);
    expect(unpackBatch(batches[0][1]).map((e) => e.k)).toEqual(['frame']);
    expect(batches[1][1]).toBe(packed);
  });

  it('clear drops everything', () => {
    const queue = new BatchQueue();
    queue.addFrame('c1', code, 1, 1, 'a', 1);
    queue.seal();
    queue.addFrame('c1', code, 2, 2, 'b', 1);
    queue.clear();
    expect(queue.count).toBe(0);
  });
});
