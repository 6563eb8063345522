/**
 * The relay's intake of the hook's batches (page-events): each is turned into packed batches for the runtime port,
 * in page order. The hot path passes a hook batch on as it came (passOn); otherwise its rows go into the batch
 * being built one by one, and frames that travel whole wait in a queue behind any payload still being read from a
 * Blob or made into one (large frames: LargeFrames).
 *
 * It runs on the page's main thread, so its per-frame work is the page's cost: no object per plain row, no copy
 * of a row's bytes but into the batch, and the hook's buffers go back to it for reuse (handBack).
 */
import type { PageEvent, PageToRelayMessage, RelayToPageMessage, WireEvent } from '../shared/protocol';
import { NAMESPACE, PACKED_EXTRA, PACKED_ROW_WIDTH, frameCodeOf } from '../shared/protocol';
import { toWireEvents } from '../shared/wire';
import { binaryPayloads, decodeFrameCode, type PackedBatch } from '../shared/packed-batch';
import { ROW_WEIGHT, type BatchQueue } from './batch-queue';
import { LargeFrames } from './large-frames';
import { PLAIN_CODES, exactPayload, isLargePayload, isPlainFrame } from './page-frames';

/** Smaller batch buffers are not worth a message back to the hook. */
const SPARE_MIN_BYTES = 1 << 16;
/** Larger buffers are not handed back: the hook keeps its spare for as long as the page lives. */
const SPARE_MAX_BYTES = 1 << 25;

export interface PageIntakeDeps {
  queue: BatchQueue;
  /** Connections this frame's page hook owns (the intake adds each connect it sees). */
  knownConnections: Set<string>;
  /** Connections seen connecting and not closing yet (ended in the store if the page goes away). */
  openConnections: Set<string>;
  /**
   * This frame's URL as the relay's own `location` has it: what a connection is stored under, never the
   * `frameUrl` a page event names (a page holding the port could name another frame's).
   */
  frameUrl(): string;
  /** Posts to the page hook over the private port. */
  postToPage(message: RelayToPageMessage, transfer?: Transferable[]): void;
  setTimer(callback: () => void, ms: number): unknown;
  /** Seals what is being built and sends it (the relay's flush). */
  flush(): void;
}

type PageEventsMessage = Extract<PageToRelayMessage, { type: 'page-events' }>;

export class PageIntake {
  private readonly deps: PageIntakeDeps;
  private readonly queue: BatchQueue;
  private readonly large: LargeFrames;
  /** Page events waiting on an earlier event's payload (a Blob being read or built), so order is kept. */
  private pageQueue: PageEvent[] = [];
  /** Next event of pageQueue to convert: an index, since shift() per event is quadratic on big batches. */
  private pageQueueHead = 0;
  /** An event's payload is being read from a Blob or turned into one: later events wait in pageQueue. */
  private payloadPending = false;

  constructor(deps: PageIntakeDeps) {
    this.deps = deps;
    this.queue = deps.queue;
    this.large = new LargeFrames(
      (next) => deps.setTimer(next, 0),
      (buffer) => this.handBack(buffer),
    );
  }

  /** Page events still being converted (they would be lost without a port). */
  get busy(): boolean {
    return this.payloadPending || this.pageQueueHead < this.pageQueue.length;
  }

  /** A piece of a large text (page-text-piece), for the frame it belongs to. */
  acceptTextPiece(piece: unknown): void {
    this.large.acceptPiece(piece);
  }

  /**
   * The hot path: a hook batch of plain rows and simple events is passed on as it came (see passOn). Otherwise
   * (frames that travel whole, or a Blob being read ahead of it) its rows go into the batch being built one by one;
   * while a Blob read holds the queue, rows become events behind it, so page order is kept.
   */
  acceptPageEvents(msg: PageEventsMessage): void {
    const { ids, rows, text, binary, events } = msg;
    if (!Array.isArray(ids) || !(rows instanceof Float64Array) || typeof text !== 'string' || !Array.isArray(events)) return;
    const bytes: Uint8Array<ArrayBuffer> = binary instanceof ArrayBuffer ? new Uint8Array(binary) : new Uint8Array(0);
    const passed = !this.busy ? this.passOn(ids, rows, text, bytes, events) : undefined;
    if (passed) {
      this.deps.flush();
      if (passed.binary !== binary) this.handBack(binary); // a small buffer may travel on as it is
      return;
    }
    let offset = 0;
    let byteOffset = 0;
    for (let r = 0; r + PACKED_ROW_WIDTH <= rows.length; r += PACKED_ROW_WIDTH) {
      const code = rows[r];
      if (code === PACKED_EXTRA) {
        const event = events[rows[r + 1]];
        if (event) {
          const queued = event.k === 'frame' ? exactPayload(event) : event;
          this.pageQueue.push(queued);
          if (queued.k === 'frame' && queued.data instanceof ArrayBuffer && isPlainFrame(queued) && isLargePayload(queued)) this.large.begin(queued);
          this.drainPageQueue();
        }
        continue;
      }
      const connectionId = ids[rows[r + 1]];
      const length = rows[r + 4];
      const decoded = decodeFrameCode(code);
      if (connectionId === undefined || decoded === undefined) continue; // not from our hook
      let data: string | Uint8Array<ArrayBuffer>;
      if (decoded.opcode === 1) {
        data = text.slice(offset, offset + length);
        offset += length;
      } else {
        data = bytes.subarray(byteOffset, byteOffset + length);
        byteOffset += length;
      }
      if (this.payloadPending) {
        const { dir, origin, status } = decoded;
        const copy = typeof data === 'string' ? data : (data.slice().buffer as ArrayBuffer);
        this.pageQueue.push({ k: 'frame', socketId: connectionId, seq: rows[r + 2], time: rows[r + 3], dir, data: copy, origin, status });
        continue;
      }
      this.queue.addFrame(connectionId, code, rows[r + 2], rows[r + 3], data, length);
    }
    // The hook already batched for FLUSH_INTERVAL_MS: post at once rather than wait another interval (every
    // task on the page's thread has a cost of its own).
    this.deps.flush();
    this.handBack(binary); // every row's bytes were copied out above
  }

  /** Gives a hook batch's binary buffer, whose bytes are copied out, back to the hook for reuse. */
  private handBack(binary: unknown): void {
    if (!(binary instanceof ArrayBuffer) || binary.byteLength < SPARE_MIN_BYTES || binary.byteLength > SPARE_MAX_BYTES || binary.detached) return;
    this.deps.postToPage({ ns: NAMESPACE, type: 'spare-buffer', buffer: binary }, [binary]);
  }

  /**
   * Sends the hook's batch on as one packed batch, with no work per frame but a check of each row: the row layout
   * is the same on both hops. Only when every extra event is a simple one (connect, open, error, close: one wire
   * event each) and the rows agree with the payloads: returns the batch queued; undefined (nothing done) otherwise.
   */
  private passOn(ids: string[], rows: Float64Array, text: string, bytes: Uint8Array<ArrayBuffer>, events: PageEvent[]): PackedBatch | undefined {
    const count = rows.length / PACKED_ROW_WIDTH;
    if (!Number.isInteger(count) || count === 0) return undefined;
    let textLength = 0;
    let byteLength = 0;
    for (let r = 0; r < rows.length; r += PACKED_ROW_WIDTH) {
      const code = rows[r];
      if (code === PACKED_EXTRA) {
        const event = events[rows[r + 1]];
        if (event === undefined || event.k === 'frame') return undefined;
        continue;
      }
      const length = rows[r + 4];
      if (!PLAIN_CODES[code] || ids[rows[r + 1]] === undefined || length >>> 0 !== length) return undefined;
      if (code & 2) byteLength += length;
      else textLength += length;
    }
    if (textLength !== text.length || byteLength > bytes.byteLength) return undefined;
    const extra: WireEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (event.k === 'frame') return undefined;
      this.lifecycle(event);
      const wire = toWireEvents(event, event.socketId);
      if (wire.length !== 1) return undefined;
      extra[i] = wire[0];
    }
    const packed: PackedBatch = { count, ids, rows, payloads: text, binary: binaryPayloads(bytes.subarray(0, byteLength)), extra, large: [] };
    this.queue.addPacked(packed, textLength + byteLength + count * ROW_WEIGHT); // anything built before goes first
    return packed;
  }

  private drainPageQueue(): void {
    if (this.payloadPending) return;
    const queue = this.pageQueue;
    while (this.pageQueueHead < queue.length) {
      const event = queue[this.pageQueueHead];
      // A frame whose Blob is begun already (its buffer may be back with the hook, detached here) or to begin.
      if (event.k === 'frame' && (this.large.has(event) || (isPlainFrame(event) && isLargePayload(event)))) {
        // Never encoded or cloned here in one piece: that took the page's thread seconds for a 16 MiB frame.
        this.pageQueueHead++;
        const code = frameCodeOf(event.dir, typeof event.data === 'string' ? 1 : 2, event.origin, event.status);
        const add = (blob: Blob) => this.queue.addLargeFrame(event.socketId, code, event.seq, event.time, blob);
        if (typeof event.data !== 'string' && !(event.data instanceof ArrayBuffer)) {
          add(event.data); // a Blob is already a handle: the background reads it
          continue;
        }
        const finish = (blob: Blob) => {
          add(blob);
          this.resume();
        };
        if (event.pieces !== undefined) {
          this.payloadPending = true;
          this.large.waitForPieces(Number.isInteger(event.pieces) && event.pieces > 0 ? event.pieces : 0, finish);
          return;
        }
        const job = this.large.begin(event);
        if (job.blob) {
          this.large.forget(event);
          add(job.blob);
          continue;
        }
        this.payloadPending = true;
        job.done = (blob) => {
          this.large.forget(event);
          finish(blob);
        };
        return;
      }
      if (event.k === 'frame' && typeof event.data !== 'string' && !(event.data instanceof ArrayBuffer)) {
        // A Blob: read its bytes, then carry on in order.
        this.payloadPending = true;
        const unreadable = (error: unknown) => {
          event.data = new ArrayBuffer(0);
          event.note = `Blob could not be read: ${String(error)}`;
          this.resume();
        };
        try {
          event.data.arrayBuffer().then((buffer) => {
            event.data = buffer;
            this.resume();
          }, unreadable);
        } catch (error) {
          unreadable(error); // not a Blob after all (or a realm we cannot read): never stall the queue
        }
        return;
      }
      this.pageQueueHead++;
      this.lifecycle(event);
      if (event.k === 'frame' && event.data instanceof ArrayBuffer && isPlainFrame(event)) {
        // Binary goes as raw bytes: no base64 on the page's thread.
        const code = frameCodeOf(event.dir, 2, event.origin, event.status);
        this.queue.addFrame(event.socketId, code, event.seq, event.time, new Uint8Array(event.data), event.data.byteLength);
        continue;
      }
      for (const wire of toWireEvents(event, event.socketId)) this.queue.addWireEvent(wire);
    }
    this.pageQueue = [];
    this.pageQueueHead = 0;
  }

  /** A connect or close (rare events, never frames): what the relay knows of this frame's connections. */
  private lifecycle(event: PageEvent): void {
    if (event.k === 'connect') {
      event.frameUrl = this.deps.frameUrl();
      this.deps.knownConnections.add(event.socketId);
      this.deps.openConnections.add(event.socketId);
    } else if (event.k === 'close') this.deps.openConnections.delete(event.socketId);
  }

  /** The payload that held the queue is ready: carry on in order, and send what that let through. */
  private resume(): void {
    this.payloadPending = false;
    this.drainPageQueue();
    this.deps.flush();
  }

  /** Drops every event not yet converted (the relay stopped for good). */
  clear(): void {
    this.pageQueue = [];
    this.pageQueueHead = 0;
  }
}
