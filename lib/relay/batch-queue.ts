/**
 * The relay's numbered batches: built from page events, kept until the background acknowledges them as stored,
 * and sent again in order on a new port. A batch is either stored or still here, so a service worker stopped
 * mid-write loses nothing (the relay resends after reconnecting).
 *
 * Batches weigh up to MAX_BATCH_WEIGHT characters (payloads plus ROW_WEIGHT per row); one such batch is sent per
 * task, the rest on the next flush, so each of the page's tasks stays short.
 */
import type { PackedBatch, WireEvent } from '../shared/protocol';
import { wireEventWeight } from '../shared/wire';
import { PackedBatchBuilder } from '../shared/packed-batch';

export const MAX_BATCH_WEIGHT = 1 << 20;
/** Weight of a packed row besides its payload (its five numbers). */
export const ROW_WEIGHT = 40;

interface Batch {
  batchSeq: number;
  packed: PackedBatch;
  /** Sum of wireEventWeight over events, kept so sending does not recount it. */
  weight: number;
}

export class BatchQueue {
  /** Batches sent (or waiting to be) and not yet acknowledged, oldest first. */
  private unacked: Batch[] = [];
  private nextBatchSeq = 1;
  private building = new PackedBatchBuilder();
  private buildingWeight = 0;
  private sentUpTo = 0; // highest batchSeq posted on the current port

  /** Batches not yet acknowledged, counting the one being built. */
  get count(): number {
    return this.unacked.length + (this.building.count > 0 ? 1 : 0);
  }

  /** Batches sealed and not yet acknowledged (the one being built is not counted). */
  get sealedCount(): number {
    return this.unacked.length;
  }

  /** A frame row (a hook row, or a binary frame as raw bytes) whose payload is `length` long. */
  addFrame(connectionId: string, code: number, seq: number, time: number, data: string | Uint8Array<ArrayBuffer>, length: number): void {
    this.makeRoom(length + ROW_WEIGHT);
    if (typeof data === 'string') this.building.addFrame(connectionId, code, seq, time, data);
    else this.building.addBinaryFrame(connectionId, code, seq, time, data);
    this.added();
  }

  /** A large frame's row, its payload in a Blob (PackedBatch.large). */
  addLargeFrame(connectionId: string, code: number, seq: number, time: number, blob: Blob): void {
    this.makeRoom(ROW_WEIGHT);
    this.building.addLargeFrame(connectionId, code, seq, time, blob);
    this.added();
  }

  addWireEvent(event: WireEvent): void {
    this.makeRoom(wireEventWeight(event));
    this.building.add(event);
    this.added();
  }

  /** A batch packed already (a hook batch passed on as it came): anything built before goes first. */
  addPacked(packed: PackedBatch, weight: number): void {
    this.seal();
    this.unacked.push({ batchSeq: this.nextBatchSeq++, packed, weight });
  }

  private added(): void {
    if (this.buildingWeight >= MAX_BATCH_WEIGHT) this.seal();
  }

  /** Makes room for an event of `weight` in the batch being built: seals it first if the event would not fit. */
  private makeRoom(weight: number): void {
    if (this.building.count > 0 && this.buildingWeight + weight > MAX_BATCH_WEIGHT) this.seal();
    this.buildingWeight += weight;
  }

  /** Seals the batch being built, if any, into a numbered batch. */
  seal(): void {
    if (this.building.count === 0) return;
    const batch: Batch = { batchSeq: this.nextBatchSeq++, packed: this.building.seal(), weight: this.buildingWeight };
    this.buildingWeight = 0;
    this.unacked.push(batch);
  }

  /** A new port: every batch not yet acknowledged is to be sent again. */
  restart(): void {
    this.sentUpTo = 0;
  }

  /**
   * Sends, in order, every sealed batch not yet sent on this port, up to about one batch weight (one large batch
   * per task keeps each of the page's tasks short). Returns false when some are left for a later task; stops
   * without them when `send` fails (the port is gone: they go again on the next).
   */
  sendPending(send: (batchSeq: number, packed: PackedBatch) => boolean): boolean {
    let sentWeight = 0;
    for (const batch of this.unacked) {
      if (batch.batchSeq <= this.sentUpTo) continue;
      if (sentWeight > 0 && sentWeight + batch.weight > MAX_BATCH_WEIGHT) return false;
      if (!send(batch.batchSeq, batch.packed)) return true;
      this.sentUpTo = batch.batchSeq;
      sentWeight += batch.weight;
    }
    return true;
  }

  /** The background stored every batch up to `batchSeq` (acks are cumulative). */
  ack(batchSeq: number): void {
    let drop = 0;
    while (drop < this.unacked.length && this.unacked[drop].batchSeq <= batchSeq) drop++;
    if (drop > 0) this.unacked.splice(0, drop);
  }

  /** Drops everything (the relay stopped for good). */
  clear(): void {
    this.unacked = [];
    this.building = new PackedBatchBuilder();
  }
}
