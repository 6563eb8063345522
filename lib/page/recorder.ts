/**
 * Turns what happens on a socket into batch entries: a plain frame becomes a row (its text, or its bytes copied
 * straight into the batch), anything else (a note, a rule, an original payload, a large binary frame, open,
 * error, close) an event that travels whole.
 */
import type { Direction, FrameOrigin, FrameStatus, PageFrameEvent } from '../shared/protocol';
import { PLAIN_PAYLOAD_MAX, frameCodeOf } from '../shared/protocol';
import type { Batch } from './batch';
import type { BinaryReader } from './binary';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { HookState, SocketRegistry, SocketState } from './socket-state';

export interface Recorder {
  /** The wall-clock time in ms, from the page's time origin and the native performance.now. */
  now(): number;
  /** Records a frame: a row when plain, else an event of its own. */
  recordFrame(
    state: SocketState,
    dir: 'send' | 'receive',
    data: string | ArrayBuffer | Blob,
    origin: FrameOrigin,
    status: FrameStatus,
    note?: string,
    rule?: string,
    original?: string | ArrayBuffer | Blob,
    /** When it happened (default: now); a send passes the time taken before the browser sent it. */
    time?: number,
  ): void;
  /**
   * Records page binary data (ArrayBuffer or view) as a plain row, copying its bytes straight into the batch:
   * no ArrayBuffer per frame. False when it cannot (a Blob, or too large: those travel whole).
   */
  recordBinaryRow(state: SocketState, dir: Direction, data: object, origin: FrameOrigin, status: FrameStatus, time?: number): boolean;
  recordError(state: SocketState): void;
  /** The socket closed: recorded while the hook is active; commands can no longer reach it either way. */
  recordClose(state: SocketState, code: number, reason: string, wasClean: boolean): void;
}

export function recorder(natives: Natives, own: OwnObjects, binary: BinaryReader, batch: Batch, hook: HookState, registry: SocketRegistry): Recorder {
  const { apply, perf, perfNow, timeOrigin, taSet, abByteLength, Uint8ArrayCtor } = natives;
  const { withoutPrototype } = own;
  const { range: binaryRange, readBinaryRange, copyBuffer, isArrayBuffer } = binary;
  const { addRow, batchIndexOf, addText, addBytes, counted, enqueue } = batch;

  const now = (): number => timeOrigin + (apply(perfNow, perf, []) as number);

  function recordBinaryRow(state: SocketState, dir: Direction, data: object, origin: FrameOrigin, status: FrameStatus, time = now()): boolean {
    if (!readBinaryRange(data)) return false;
    if (binaryRange.length > PLAIN_PAYLOAD_MAX) return recordLargeBinary(state, dir, origin, status, time);
    let length = binaryRange.length;
    let source: Uint8Array;
    try {
      source = new Uint8ArrayCtor(binaryRange.buffer, binaryRange.offset, length);
    } catch {
      source = new Uint8ArrayCtor(0); // detached: nothing was sent
      length = 0;
    }
    addBytes(source, length);
    addRow(frameCodeOf(dir, 2, origin, status), batchIndexOf(state), ++state.seq, time, length);
    counted(length);
    return true;
  }

  /**
   * A binary frame over PLAIN_PAYLOAD_MAX (its bytes in binaryRange), as a frame event of its own. The copy must be
   * made now (the page may change its buffer once we return), so it goes into the spare buffer the relay handed
   * back when that is big enough: memory already touched takes a plain copy, fresh memory page faults as well
   * (about 50 ms for 16 MiB on the benchmark machine, one long task of the page's). False if the data is detached.
   */
  function recordLargeBinary(state: SocketState, dir: Direction, origin: FrameOrigin, status: FrameStatus, time: number): boolean {
    const length = binaryRange.length;
    let source: Uint8Array;
    try {
      source = new Uint8ArrayCtor(binaryRange.buffer, binaryRange.offset, length);
    } catch {
      return false;
    }
    let copy: ArrayBuffer | undefined;
    const spare = batch.takeSpare(length);
    if (spare !== undefined) {
      try {
        apply(taSet, new Uint8ArrayCtor(spare), [source]);
        copy = spare;
      } catch {
        // detached after all: copy afresh
      }
    }
    copy ??= copyBuffer(binaryRange.buffer, binaryRange.offset, binaryRange.offset + length);
    const event: PageFrameEvent = withoutPrototype({ k: 'frame', socketId: state.id, seq: ++state.seq, time, dir, data: copy, origin, status });
    if ((apply(abByteLength, copy, []) as number) !== length) event.byteLength = length;
    enqueue(event);
    return true;
  }

  function enqueuePlainText(state: SocketState, seq: number, time: number, dir: Direction, data: string, origin: FrameOrigin, status: FrameStatus): void {
    addRow(frameCodeOf(dir, 1, origin, status), batchIndexOf(state), seq, time, data.length);
    addText(data);
    counted(data.length);
  }

  function recordFrame(
    state: SocketState,
    dir: 'send' | 'receive',
    data: string | ArrayBuffer | Blob,
    origin: FrameOrigin,
    status: FrameStatus,
    note?: string,
    rule?: string,
    original?: string | ArrayBuffer | Blob,
    time = now(),
  ): void {
    if (typeof data === 'string' && note === undefined && rule === undefined && original === undefined && data.length <= PLAIN_PAYLOAD_MAX) {
      enqueuePlainText(state, ++state.seq, time, dir, data, origin, status);
      return;
    }
    const event: PageFrameEvent = withoutPrototype({ k: 'frame', socketId: state.id, seq: ++state.seq, time, dir, data, origin, status });
    if (note !== undefined) event.note = note;
    if (rule !== undefined) event.rule = rule;
    if (original !== undefined && typeof original !== 'object') event.original = original;
    else if (original !== undefined && isArrayBuffer(original)) event.original = original as ArrayBuffer;
    enqueue(event);
  }

  function recordError(state: SocketState): void {
    enqueue({ k: 'error', socketId: state.id, seq: ++state.seq, time: now() });
  }

  function recordClose(state: SocketState, code: number, reason: string, wasClean: boolean): void {
    registry.forget(state.id);
    if (!hook.active) return;
    enqueue({ k: 'close', socketId: state.id, seq: ++state.seq, time: now(), code, reason, wasClean });
  }

  return withoutPrototype({ now, recordFrame, recordBinaryRow, recordError, recordClose });
}
