/**
 * The outgoing batch to the relay, and the private port it goes out on.
 *
 * Plain frames (the hot path) are rows of numbers plus their text or bytes, not objects: the port's clone costs
 * per element (see lib/shared/packed-batch.ts). Every other event travels whole in `extra`. Arrays are filled by
 * index, never push(): the page may have replaced Array.prototype.push. Batches are posted on a timer, their
 * buffers transferred rather than cloned.
 *
 * While the page is leaving (pagehide, freeze: see leave.ts) a port's message would arrive after the document is
 * gone, so what is queued then goes to the relay synchronously instead (hand-over.ts, lastHandOver), at once and
 * again after each event the page still records (a send in its own pagehide listener: a microtask later).
 */
import type { Direction, LeaveReason, PageEvent, PageNotice, PageToRelayMessage } from '../shared/protocol';
import { NAMESPACE, PACKED_EXTRA, PACKED_ROW_WIDTH, PLAIN_PAYLOAD_MAX } from '../shared/protocol';
import type { BinaryReader } from './binary';
import { lastHandOver } from './hand-over';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { SocketState } from './socket-state';
import { textPieceQueue, type PostNumbers } from './text-pieces';

/**
 * Flush a burst's queued events to the relay at most this often: one post per interval, not per frame. The relay posts
 * each batch on to the background at once, so this is the capture's latency; each post costs the page a few
 * tasks (timer, two port messages, an acknowledgement), so it is not shorter. 50 ms cost a ping-pong page
 * (~90 round trips per batch) a CPU ratio of 1.31, 100 ms 1.17, 200 ms 1.22 (side by side, 3 rounds): 100 ms
 * keeps the panel live to the eye.
 */
export const FLUSH_INTERVAL_MS = 100;
/**
 * Sparse traffic is posted at once, at the end of the task that recorded it (a microtask). The first event after a
 * quiet spell (nothing posted for FLUSH_INTERVAL_MS) opens a window in which up to IMMEDIATE_POSTS batches of at
 * most SPARSE_EVENTS events in all go at once: a request and its reply a few milliseconds apart each reach the relay
 * before the page can go (a tab that closes right after a reply: Chromium drops what the relay sends during the
 * closing tab's pagehide, not what it sent before). Such a batch is handed over synchronously (flush), not posted.
 * Under steady traffic nothing changes: after a timer's post no
 * window is open, so the next batch waits for the timer (one post per interval). A budget without the quiet-spell
 * condition (two posts at once per window) cost the text stream 1.19 → 1.26 and 1 KiB binary 1.24 → 1.31. Four
 * posts, not two: a page that opens a socket, sends on open, gets the reply and closes its tab at once makes three
 * (connect; open and send; receive), and with two the reply waited for the timer and was lost.
 */
export const IMMEDIATE_POSTS = 4;
export const SPARSE_EVENTS = 8;
/** …or sooner when this many events are queued… */
export const FLUSH_EVENT_COUNT = 2048;
/** …or this many payload characters / bytes. */
export const FLUSH_WEIGHT = 1 << 20;
/** Without a relay (it never said hello), keep at most this many events rather than grow without bound. */
export const MAX_UNDELIVERED_EVENTS = 200_000;

/** A notice for the panel, including the 'held' one whose payload may be a Blob. */
export type HookNotice = PageNotice | { kind: 'held'; holdId: string; connectionId: string; dir: Direction; data: string | ArrayBuffer | Blob; rule: string; time: number };

export interface Batch {
  /** The relay took the port: batches go out on it from now on. */
  connect(port: MessagePort): void;
  /** Appends one row of PACKED_ROW_WIDTH numbers. */
  addRow(code: number, index: number, seq: number, time: number, length: number): void;
  /** The socket's index in this batch's `ids`, added on its first row. */
  batchIndexOf(state: SocketState): number;
  /** A plain text row's text. */
  addText(text: string): void;
  /** A plain binary row's bytes (`length` of them from `source`), copied into the batch. */
  addBytes(source: Uint8Array, length: number): void;
  /** Adds an event that travels whole. Optional members are read and written later, so it has no prototype. */
  enqueue(event: PageEvent): void;
  /** Counts `size` payload units into the batch, and flushes or schedules a flush. */
  counted(size: number): void;
  /** Post queued events now. */
  flush(): void;
  /** Post queued events and every queued text piece now, on the port (an untrusted pagehide: see leave.ts). */
  flushAll(): void;
  /** The relay's token for the last hand-over (RelayToPageMessage 'last-words-token'), for the port it came on. */
  setLastWordsToken(token: string): void;
  /** The page is leaving: what is queued, and what it records until it is back, goes to the relay synchronously. */
  leave(reason: LeaveReason): void;
  /** The page is back (pageshow from the back/forward cache, resume): batches go on the port again. */
  back(): void;
  /** Drops what is queued (stop). */
  reset(): void;
  /** Events in the batch: one row each. */
  eventCount(): number;
  /** A batch buffer the relay is done with (RelayToPageMessage 'spare-buffer'), kept if it is the biggest yet. */
  offerSpare(buffer: unknown): void;
  /** The spare buffer if it holds at least `length` bytes (it is then ours to fill), else undefined. */
  takeSpare(length: number): ArrayBuffer | undefined;
  /** Posts a notice for the panel after the frames recorded before it. */
  postNotice(notice: HookNotice): void;
  /** Posts `message` after the frames recorded before it; throws if the port cannot post. */
  postAfterFlush(message: unknown): void;
}

export function outgoingBatch(natives: Natives, own: OwnObjects, binary: BinaryReader): Batch {
  const { apply, win, setTimeoutFn, queueMicrotaskFn, perf, perfNow, portPostMessage, arrayJoin, taBuffer, taSlice, taSet, taLength, taByteLength, u8Subarray, abByteLength, Float64ArrayCtor, Uint8ArrayCtor } = natives;
  const { withoutPrototype, ownArray, ownSequence } = own;
  const { isArrayBuffer } = binary;

  let batchNumber = 1;
  let ids: string[] = ownArray();
  /** PACKED_ROW_WIDTH numbers per event; a Float64Array so that posting it is one copy, not one per number. */
  let rowBuffer = new Float64ArrayCtor(PACKED_ROW_WIDTH * 1024);
  let rowLength = 0;
  let texts: string[] = ownArray();
  /** Bytes of the plain binary rows; kept across batches (each flush copies out what it used). */
  let binaryBytes = new Uint8ArrayCtor(1 << 16);
  let binaryLength = 0;
  let extra: PageEvent[] = ownArray();
  /** Payload characters and bytes in the batch, to flush early on big frames. */
  let weight = 0;
  let port: MessagePort | undefined;
  let flushScheduled = false;
  /** performance.now() of the last batch posted. */
  let lastPostTime = -Infinity;
  /** The window a quiet spell opened (IMMEDIATE_POSTS), its posts at once and the events they carried. */
  let windowStart = -Infinity;
  let immediatePosts = 0;
  let windowEvents = 0;
  /** The token of the relay on `port` for the last hand-over; undefined until it arrives on that port. */
  let lastWordsToken: string | undefined;
  /** Set from pagehide or freeze until pageshow or resume. */
  let leaving: LeaveReason | undefined;
  /** Messages given to the relay on this port so far (HookPostNumber: the relay takes them in this order). */
  let posted = 0;
  const numbers: PostNumbers = withoutPrototype({
    stamp<T extends PageToRelayMessage>(msg: T): T {
      msg.n = ++posted;
      return msg;
    },
    unstamp(): void {
      posted--;
    },
  });
  /** The batch being built goes at once (postAtOnce said so): it is handed over synchronously, not posted. */
  let atOnce = false;
  const pieces = textPieceQueue(natives, own, () => port, numbers);

  function resetBatch(): void {
    batchNumber++;
    ids = ownArray();
    rowLength = 0;
    texts = ownArray();
    binaryLength = 0;
    extra = ownArray();
    weight = 0;
  }

  /** Takes the batch as the message that posts it and the buffers to transfer with it; undefined when empty. */
  function takeBatch(): { msg: PageToRelayMessage; moved: ArrayBuffer[] } | undefined {
    if (rowLength === 0) return undefined;
    const events = extra;
    // Every ArrayBuffer in a recorded frame is our own copy: transfer it rather than copy it again.
    const moved: ArrayBuffer[] = ownArray();
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.k !== 'frame') continue;
      if (typeof e.data === 'object' && isArrayBuffer(e.data)) moved[moved.length] = e.data as ArrayBuffer;
      if (e.original !== undefined && typeof e.original === 'object') moved[moved.length] = e.original;
    }
    let binary: ArrayBuffer | undefined;
    if (binaryLength > 0) {
      // The batch's buffer itself goes (the relay reads only the bytes its rows count), and the next batch starts
      // in the one the relay handed back, if any: copying into memory already touched is cheap, into fresh memory
      // it is mostly page faults. (Posting a slice instead cost a fresh copy of every byte.)
      binary = apply(taBuffer, binaryBytes, []) as ArrayBuffer;
      moved[moved.length] = binary;
      binaryBytes = nextBinaryBuffer(binaryLength);
    }
    const rows = apply(taSlice, rowBuffer, [0, rowLength]) as Float64Array;
    moved[moved.length] = apply(taBuffer, rows, []) as ArrayBuffer;
    // Large plain texts follow the batch in pieces (PageFrameEvent.pieces), posted one per task after it: no task
    // of the page's (here) or of the relay's clones all of a 16 MiB string at once.
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.k !== 'frame' || typeof e.data !== 'string' || e.data.length <= PLAIN_PAYLOAD_MAX || e.note !== undefined || e.rule !== undefined || e.original !== undefined) continue;
      const count = pieces.add(e.data);
      e.data = '';
      e.pieces = count;
    }
    const msg: PageToRelayMessage = withoutPrototype({ ns: NAMESPACE, type: 'page-events', ids, rows, text: apply(arrayJoin, texts, ['']) as string, binary, events });
    resetBatch();
    return withoutPrototype({ msg, moved });
  }

  function flush(): void {
    flushScheduled = false;
    const sparse = atOnce;
    atOnce = false;
    if (!port || rowLength === 0) return;
    if (leaving !== undefined && lastWordsToken !== undefined) {
      handOverAll(leaving);
      return;
    }
    windowEvents += eventCount();
    const { msg, moved } = takeBatch()!;
    numbers.stamp(msg);
    // Sparse traffic goes to the relay in this task, synchronously: a port message is delivered as a later task,
    // and a page that closes its tab right after a reply is gone before it runs (Chromium; the reply was lost in
    // CI runs). Few events, so the copy the hand-over makes costs what the port's would.
    if (sparse && lastWordsToken !== undefined) {
      const messages: PageToRelayMessage[] = ownArray();
      messages[0] = msg;
      if (lastHandOver(natives, own, lastWordsToken, 'at-once', messages)) {
        lastPostTime = apply(perfNow, perf, []) as number;
        pieces.schedule();
        return;
      }
    }
    try {
      apply(portPostMessage, port, [msg, ownSequence(moved)]);
    } catch {
      try {
        apply(portPostMessage, port, [msg]); // e.g. a detached buffer in the list: copy instead
      } catch {
        // A port that cannot post (page unloading): nothing to recover into.
        numbers.unstamp();
        return;
      }
    }
    lastPostTime = apply(perfNow, perf, []) as number;
    pieces.schedule();
  }

  function flushAll(): void {
    flush();
    pieces.postAll();
  }

  /**
   * Everything queued, the batch and then its text pieces, to the relay synchronously (lastHandOver); if it does not
   * take them (no relay listening), on the port after all.
   */
  function handOverAll(reason: LeaveReason): void {
    flushScheduled = false;
    if (!port) return;
    const messages: PageToRelayMessage[] = ownArray();
    const taken = takeBatch();
    if (taken !== undefined) messages[0] = numbers.stamp(taken.msg);
    pieces.takeAll(messages);
    if (messages.length === 0) return;
    lastPostTime = apply(perfNow, perf, []) as number;
    if (lastWordsToken !== undefined && lastHandOver(natives, own, lastWordsToken, reason, messages)) return;
    for (let i = 0; i < messages.length; i++) {
      try {
        apply(portPostMessage, port, [messages[i]]);
      } catch {
        return; // page unloading
      }
    }
  }

  function leave(reason: LeaveReason): void {
    leaving = reason;
    if (lastWordsToken !== undefined) handOverAll(reason);
    else flushAll();
  }

  function back(): void {
    leaving = undefined;
  }

  function setLastWordsToken(token: string): void {
    lastWordsToken = token;
  }

  /** A batch buffer the relay is done with (RelayToPageMessage 'spare-buffer'), for the next batch. */
  let spareBinary: ArrayBuffer | undefined;

  function nextBinaryBuffer(used: number): Uint8Array<ArrayBuffer> {
    const spare = spareBinary;
    spareBinary = undefined;
    if (spare !== undefined) {
      try {
        return new Uint8ArrayCtor(spare);
      } catch {
        // detached after all: allocate
      }
    }
    return new Uint8ArrayCtor(used > 1 << 16 ? used : 1 << 16);
  }

  function offerSpare(buffer: unknown): void {
    if (typeof buffer === 'object' && buffer !== null && isArrayBuffer(buffer)) {
      const size = apply(abByteLength, buffer, []) as number;
      if (spareBinary === undefined || size > (apply(abByteLength, spareBinary, []) as number)) spareBinary = buffer as ArrayBuffer;
    }
  }

  function takeSpare(length: number): ArrayBuffer | undefined {
    const spare = spareBinary;
    if (spare === undefined || (apply(abByteLength, spare, []) as number) < length) return undefined;
    spareBinary = undefined;
    return spare;
  }

  const eventCount = (): number => rowLength / PACKED_ROW_WIDTH;

  function counted(size: number): void {
    weight += size;
    if (!port) {
      // Without a relay nothing can be delivered: bound the memory rather than grow for ever.
      if (eventCount() > MAX_UNDELIVERED_EVENTS) resetBatch();
      return;
    }
    if (eventCount() >= FLUSH_EVENT_COUNT || weight >= FLUSH_WEIGHT) flush();
    else if (!flushScheduled) {
      // Once per batch, not per event: the first event after a quiet spell goes at the end of this task.
      flushScheduled = true;
      // While the page is leaving there are no timers: what it records goes at the end of its task.
      if (leaving !== undefined) apply(queueMicrotaskFn, win, [flush]);
      else if (postAtOnce()) {
        atOnce = true;
        apply(queueMicrotaskFn, win, [flush]);
      }
      else apply(setTimeoutFn, win, [flush, FLUSH_INTERVAL_MS]);
    }
  }

  /** True when the batch being begun goes at once (see IMMEDIATE_POSTS); counts it. */
  function postAtOnce(): boolean {
    const now = apply(perfNow, perf, []) as number;
    if (now - lastPostTime >= FLUSH_INTERVAL_MS) {
      windowStart = now;
      immediatePosts = 1;
      windowEvents = 0;
      return true;
    }
    if (now - windowStart >= FLUSH_INTERVAL_MS || immediatePosts >= IMMEDIATE_POSTS || windowEvents >= SPARSE_EVENTS) return false;
    immediatePosts++;
    return true;
  }

  function payloadWeight(data: string | ArrayBuffer | Blob): number {
    if (typeof data === 'string') return data.length;
    return isArrayBuffer(data) ? (apply(abByteLength, data, []) as number) : 0; // a Blob is a handle
  }

  function addRow(code: number, index: number, seq: number, time: number, length: number): void {
    let r = rowBuffer;
    const at = rowLength;
    if (at + PACKED_ROW_WIDTH > (apply(taLength, r, []) as number)) {
      const grown = new Float64ArrayCtor((at + PACKED_ROW_WIDTH) * 2);
      apply(taSet, grown, [r]);
      rowBuffer = r = grown;
    }
    r[at] = code;
    r[at + 1] = index;
    r[at + 2] = seq;
    r[at + 3] = time;
    r[at + 4] = length;
    rowLength = at + PACKED_ROW_WIDTH;
  }

  function addText(text: string): void {
    texts[texts.length] = text;
  }

  function addBytes(source: Uint8Array, length: number): void {
    const needed = binaryLength + length;
    if (needed > (apply(taByteLength, binaryBytes, []) as number)) {
      const grown = new Uint8ArrayCtor(needed * 2);
      apply(taSet, grown, [apply(u8Subarray, binaryBytes, [0, binaryLength])]);
      binaryBytes = grown;
    }
    apply(taSet, binaryBytes, [source, binaryLength]);
    binaryLength = needed;
  }

  function enqueue(event: PageEvent): void {
    addRow(PACKED_EXTRA, extra.length, 0, 0, 0);
    extra[extra.length] = withoutPrototype(event);
    counted(event.k === 'frame' ? (event.byteLength ?? payloadWeight(event.data)) : 0);
  }

  function batchIndexOf(state: SocketState): number {
    if (state.batchNumber !== batchNumber) {
      state.batchNumber = batchNumber;
      state.batchIndex = ids.length;
      ids[ids.length] = state.id;
    }
    return state.batchIndex;
  }

  function postNotice(notice: HookNotice): void {
    if (!port) return;
    flush(); // frames recorded before the notice travel before it
    try {
      apply(portPostMessage, port, [numbers.stamp(withoutPrototype({ ns: NAMESPACE, type: 'page-notice' as const, notice: withoutPrototype(notice) }) as PageToRelayMessage)]);
    } catch {
      numbers.unstamp(); // page unloading
    }
  }

  function postAfterFlush(message: unknown): void {
    if (!port) return; // not reached: the relay's messages come on the port
    flush();
    numbers.stamp(message as PageToRelayMessage);
    try {
      apply(portPostMessage, port, [message]);
    } catch (error) {
      numbers.unstamp();
      throw error;
    }
  }

  function connect(relayPort: MessagePort): void {
    port = relayPort;
    lastWordsToken = undefined; // the new port's relay sends its own
    posted = 0; // and numbers from 1
    if (rowLength > 0) flush();
  }

  return withoutPrototype({
    connect,
    addRow,
    batchIndexOf,
    addText,
    addBytes,
    enqueue,
    counted,
    flush,
    flushAll,
    setLastWordsToken,
    leave,
    back,
    reset: resetBatch,
    eventCount,
    offerSpare,
    takeSpare,
    postNotice,
    postAfterFlush,
  });
}
