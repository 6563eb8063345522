/**
 * The relay (isolated content script): takes page events from the page hook's private port, encodes them for
 * the JSON runtime port, and delivers them to the background in numbered batches that it keeps until the
 * background acknowledges them as stored. When the port drops (worker stopped, restarted) it reconnects and
 * resends what was not acknowledged; when the extension context is gone it stops quietly.
 *
 * It connects only when it has something to say (the hook's first event) or the background wakes it (wake): a
 * page that never opens a WebSocket never wakes the service worker and writes no session, and a relay with
 * nothing unacknowledged stays away when the worker stops, so idle tabs let it sleep. Intercept rules come from
 * storage (applyRules), not the port, so they reach the hook before the page's first socket either way.
 *
 * It runs on the page's main thread, so its per-frame work is the page's cost: the hook batches over time, and
 * each of its batches is converted and posted at once, in packed batches of up to MAX_BATCH_WEIGHT characters
 * (one such batch per task; the rest follows after FLUSH_INTERVAL_MS).
 */
import type {
  BackgroundToRelayMessage,
  PageCommand,
  PageSessionInfo,
  PageEvent,
  PageFrameEvent,
  PageToRelayMessage,
  RelayToBackgroundMessage,
  RelayToPageMessage,
  WireCommand,
  WireEvent,
} from '../shared/protocol';
import { NAMESPACE, PACKED_EXTRA, PACKED_ROW_WIDTH, PLAIN_PAYLOAD_MAX, PROTOCOL_VERSION, frameCodeOf, isProtocolMessage, message } from '../shared/protocol';
import { decodePayload, encodePayload, toWireEvents, wireEventWeight } from '../shared/wire';
import { compileRules, DEFAULT_HOLD_TIMEOUT_MS, type InterceptRule } from '../shared/intercept-rules';
import { PackedBatchBuilder, binaryPayloads, blobInSlices, decodeFrameCode, decodeRowCode, type PackedBatch } from '../shared/packed-batch';

export const FLUSH_INTERVAL_MS = 50;
export const MAX_BATCH_WEIGHT = 1 << 20;
/** Weight of a packed row besides its payload (its five numbers). */
const ROW_WEIGHT = 40;
/** Smaller batch buffers are not worth a message back to the hook. */
const SPARE_MIN_BYTES = 1 << 16;
/** Larger buffers are not handed back: the hook keeps its spare for as long as the page lives. */
const SPARE_MAX_BYTES = 1 << 25;
const RECONNECT_DELAYS_MS = [0, 50, 200, 500, 1000, 2000];
/** Request ids of commands already forwarded, remembered so one delivered twice (a wake racing a port) runs once. */
const RECENT_REQUESTS = 64;

/** The runtime port as the relay uses it: the real `browser.runtime.Port`, or a fake in unit tests. */
export interface RelayPort {
  postMessage(message: RelayToBackgroundMessage): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
  disconnect(): void;
}

export interface RelayEnvironment {
  /** Opens a port to the background; throws when the extension context is invalidated. */
  connect(): RelayPort;
  /** False once the extension was reloaded or removed: old content scripts must stop. */
  contextValid(): boolean;
  /** Posts to the page hook over the private port. */
  postToPage(message: RelayToPageMessage, transfer?: Transferable[]): void;
  setTimer(callback: () => void, ms: number): unknown;
  topLevel: boolean;
  pageUrl: string;
  /** Read when saying hello (the relay connects late, when the page has its title). */
  title(): string;
  /** When this relay started (its page load), epoch ms. */
  startedAt: number;
  /** The top frame's session id (one per tab and page load); subframes get theirs from the background. */
  sessionId?: string;
}

/** A frame with nothing but its payload (no note, rule or original): it can travel as a row. */
function isPlainFrame(event: PageFrameEvent): boolean {
  return event.note === undefined && event.rule === undefined && event.original === undefined;
}

/** A large frame's Blob being made (CaptureRelay.startLargeBlob): `done` is called once it is, if set by then. */
interface LargeBlobJob {
  blob?: Blob;
  done?: (blob: Blob) => void;
}

/** A payload over PLAIN_PAYLOAD_MAX: it travels as a Blob (PackedBatch.large), built a slice per task. */
function isLargePayload(event: PageFrameEvent): boolean {
  const { data } = event;
  return event.pieces !== undefined || (typeof data === 'string' ? data.length : data instanceof ArrayBuffer ? data.byteLength : data.size) > PLAIN_PAYLOAD_MAX;
}

/**
 * The frame with its payload exactly: a binary frame in a reused buffer larger than it (PageFrameEvent.byteLength)
 * keeps it only on the large-frame path, which reads just those bytes; anywhere else its bytes are cut out.
 */
function exactPayload(event: PageFrameEvent): PageFrameEvent {
  const { byteLength, data } = event;
  if (byteLength === undefined) return event;
  const fits = data instanceof ArrayBuffer && Number.isInteger(byteLength) && byteLength >= 0 && byteLength <= data.byteLength;
  if (fits && byteLength > PLAIN_PAYLOAD_MAX && isPlainFrame(event)) return event;
  const { byteLength: _dropped, ...rest } = event;
  return { ...rest, data: data instanceof ArrayBuffer ? data.slice(0, fits ? byteLength : data.byteLength) : data };
}

/** The frame codes a plain hook row can carry, as a table: passOn looks one up per row. */
const PLAIN_CODES: boolean[] = [];
for (let code = 0; code < 128; code++) PLAIN_CODES[code] = decodeRowCode(code) !== undefined;

interface Batch {
  batchSeq: number;
  packed: PackedBatch;
  /** Sum of wireEventWeight over events, kept so sending does not recount it. */
  weight: number;
}

export class CaptureRelay {
  private readonly env: RelayEnvironment;
  private port: RelayPort | undefined;
  private welcomed = false;
  private sessionId: string | undefined;
  private stopped = false;
  private reconnectAttempt = 0;
  /** A reconnect is scheduled: wanting the port meanwhile waits for it rather than connecting twice. */
  private reconnectPending = false;
  private readonly recentRequests = new Set<string>();
  /** Rules were handed to the hook (so an empty list must be too, to lift them). */
  private rulesGiven = false;

  /** Batches sent (or waiting to be) and not yet acknowledged, oldest first. */
  private unacked: Batch[] = [];
  private nextBatchSeq = 1;
  private building = new PackedBatchBuilder();
  private buildingWeight = 0;
  private flushTimer = false;

  /** Page events waiting on an earlier event's payload (a Blob being read or built), so order is kept. */
  private pageQueue: PageEvent[] = [];
  /** Next event of pageQueue to convert: an index, since shift() per event is quadratic on big batches. */
  private pageQueueHead = 0;
  /** An event's payload is being read from a Blob or turned into one: later events wait in pageQueue. */
  private payloadPending = false;
  /**
   * Pieces of large text frames (PageFrameEvent.pieces), Blobs made by the hook, not yet claimed by their
   * frame: they can arrive before the queue reaches the frame (behind a Blob being read).
   */
  private textPieces: Blob[] = [];
  /** The queue's head is a large text frame waiting for this many pieces. */
  private waitingForPieces: { count: number; done(blob: Blob): void } | undefined;
  /** Blobs of large frames, begun on arrival (startLargeBlob), until the queue takes them. */
  private readonly largeBlobs = new Map<PageFrameEvent, LargeBlobJob>();
  /** Connections this frame's page hook owns: commands for other connections are for other frames. */
  private readonly knownConnections = new Set<string>();
  /** Holds and replays this frame's page hook owns, so commands for them come here and nowhere else. */
  private readonly knownHolds = new Set<string>();
  private readonly knownReplays = new Set<string>();

  constructor(env: RelayEnvironment) {
    this.env = env;
    this.sessionId = env.sessionId;
  }

  /** Whether the capture port is open (for tests). */
  get connected(): boolean {
    return this.port !== undefined;
  }

  /** The background asks for the port (a command is waiting): connect if not connected. */
  wake(): void {
    this.wantPort();
  }

  /** The top frame's page load, for the background's session-query; undefined in subframes. */
  sessionInfo(): PageSessionInfo | undefined {
    if (!this.env.topLevel || this.stopped || this.env.sessionId === undefined) return undefined;
    return { sessionId: this.env.sessionId, pageUrl: this.env.pageUrl, title: this.env.title(), startedAt: this.env.startedAt };
  }

  /**
   * Intercept rules as stored (storage.local, written by the background): compiled here, in the isolated world
   * where no page code can interfere (RegExps survive the clone), and handed to the hook. Malformed storage means
   * no rules.
   */
  applyRules(stored: unknown): void {
    if (this.stopped) return;
    const value = typeof stored === 'object' && stored !== null ? (stored as { rules?: unknown; holdTimeoutMs?: unknown }) : {};
    const rules = Array.isArray(value.rules) ? (value.rules as InterceptRule[]).filter((rule) => typeof rule === 'object' && rule !== null) : [];
    if (rules.length === 0 && !this.rulesGiven) return; // the hook starts with none: nothing to tell it
    this.rulesGiven = rules.length > 0;
    const holdTimeoutMs = Number(value.holdTimeoutMs) > 0 ? Number(value.holdTimeoutMs) : DEFAULT_HOLD_TIMEOUT_MS;
    this.forwardCommand('', { kind: 'set-rules', rules, holdTimeoutMs });
  }

  private wantPort(): void {
    if (!this.port && !this.reconnectPending && !this.stopped) this.openPort();
  }

  /** Something would be lost without a port: batches not yet acknowledged, or page events still being converted. */
  private hasWork(): boolean {
    return this.unacked.length > 0 || this.building.count > 0 || this.payloadPending || this.pageQueueHead < this.pageQueue.length;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Batches not yet acknowledged (for tests). */
  get unackedCount(): number {
    return this.unacked.length + (this.building.count > 0 ? 1 : 0);
  }

  /** A message from the page hook's port. */
  acceptPageMessage(data: unknown): void {
    if (this.stopped || !isProtocolMessage(data)) return;
    this.wantPort();
    const msg = data as PageToRelayMessage;
    if (msg.type === 'page-events') {
      this.acceptPageEvents(msg);
    } else if (msg.type === 'page-text-piece') {
      this.acceptTextPiece(msg.piece);
    } else if (msg.type === 'command-result') {
      if (msg.requestId) this.send(message({ type: 'command-result', requestId: msg.requestId, ok: msg.ok, error: msg.error }));
    } else if (msg.type === 'page-notice') {
      void this.forwardNotice(msg.notice);
    }
  }

  private async forwardNotice(notice: Extract<PageToRelayMessage, { type: 'page-notice' }>['notice']): Promise<void> {
    if (notice.kind === 'held') {
      this.knownHolds.add(notice.holdId);
      const data: unknown = notice.data;
      const bytes = typeof data === 'string' || data instanceof ArrayBuffer ? data : await (data as Blob).arrayBuffer();
      this.send(message({ type: 'page-notice', notice: { ...notice, data: encodePayload(bytes) } }));
      return;
    }
    if (notice.kind === 'released') this.knownHolds.delete(notice.holdId);
    if (notice.kind === 'replay-progress' && notice.connectionId) this.knownConnections.add(notice.connectionId);
    this.send(message({ type: 'page-notice', notice }));
  }

  /**
   * The hot path: a hook batch of plain rows and simple events is passed on as it came (see passOn). Otherwise
   * (frames that travel whole, or a Blob being read ahead of it) its rows go into the batch being built one by one;
   * while a Blob read holds the queue, rows become events behind it, so page order is kept.
   */
  private acceptPageEvents(msg: Extract<PageToRelayMessage, { type: 'page-events' }>): void {
    const { ids, rows, text, binary, events } = msg;
    if (!Array.isArray(ids) || !(rows instanceof Float64Array) || typeof text !== 'string' || !Array.isArray(events)) return;
    const bytes: Uint8Array<ArrayBuffer> = binary instanceof ArrayBuffer ? new Uint8Array(binary) : new Uint8Array(0);
    const passed = !this.payloadPending && this.pageQueueHead >= this.pageQueue.length ? this.passOn(ids, rows, text, bytes, events) : undefined;
    if (passed) {
      this.flush();
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
          if (queued.k === 'frame' && queued.data instanceof ArrayBuffer && isPlainFrame(queued) && isLargePayload(queued)) this.startLargeBlob(queued);
          this.drainPageQueue();
        }
        continue;
      }
      const connectionId = ids[rows[r + 1]];
      const length = rows[r + 4];
      const decoded = decodeFrameCode(code);
      if (connectionId === undefined || decoded === undefined) continue; // not from our hook
      let data: string | Uint8Array;
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
      this.addWeighted(length + ROW_WEIGHT);
      if (typeof data === 'string') this.building.addFrame(connectionId, code, rows[r + 2], rows[r + 3], data);
      else this.building.addBinaryFrame(connectionId, code, rows[r + 2], rows[r + 3], data);
      this.added();
    }
    // The hook already batched for FLUSH_INTERVAL_MS: post at once rather than wait another interval (every
    // task on the page's thread has a cost of its own).
    this.flush();
    this.handBack(binary); // every row's bytes were copied out above
  }

  /** Gives a hook batch's binary buffer, whose bytes are copied out, back to the hook for reuse. */
  private handBack(binary: unknown): void {
    if (!(binary instanceof ArrayBuffer) || binary.byteLength < SPARE_MIN_BYTES || binary.byteLength > SPARE_MAX_BYTES || binary.detached) return;
    this.env.postToPage({ ns: NAMESPACE, type: 'spare-buffer', buffer: binary }, [binary]);
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
      const wire = toWireEvents(event, event.socketId);
      if (wire.length !== 1) return undefined;
      extra[i] = wire[0];
    }
    for (const event of events) if (event.k === 'connect') this.knownConnections.add(event.socketId);
    this.sealBatch(); // anything built before goes first
    const packed: PackedBatch = { count, ids, rows, payloads: text, binary: binaryPayloads(bytes.subarray(0, byteLength)), extra, large: [] };
    this.unacked.push({ batchSeq: this.nextBatchSeq++, packed, weight: textLength + byteLength + count * ROW_WEIGHT });
    return packed;
  }

  /**
   * Begins the Blob of a large frame that came whole (binary, as a rule) when it arrives, not when the queue
   * reaches it: a large text before it can hold the queue for a second or more, and the hook gets the frame's
   * buffer back sooner, ready to copy its next large frame into (see PageFrameEvent.byteLength).
   */
  private startLargeBlob(event: PageFrameEvent): LargeBlobJob {
    const begun = this.largeBlobs.get(event);
    if (begun) return begun;
    const created: LargeBlobJob = {};
    this.largeBlobs.set(event, created);
    const buffer = event.data as string | ArrayBuffer;
    const payload = typeof buffer === 'string' || event.byteLength === undefined ? buffer : new Uint8Array(buffer, 0, event.byteLength);
    blobInSlices(payload, (next) => this.env.setTimer(next, 0), (blob) => {
      // The hook copies its next large frame into this buffer: memory it has touched costs no page faults.
      if (typeof buffer !== 'string') this.handBack(buffer);
      created.blob = blob;
      created.done?.(blob);
    });
    return created;
  }

  private drainPageQueue(): void {
    if (this.payloadPending) return;
    const queue = this.pageQueue;
    while (this.pageQueueHead < queue.length) {
      const event = queue[this.pageQueueHead];
      // A frame whose Blob is begun already (its buffer may be back with the hook, detached here) or to begin.
      if (event.k === 'frame' && (this.largeBlobs.has(event) || (isPlainFrame(event) && isLargePayload(event)))) {
        // Never encoded or cloned here in one piece: that took the page's thread seconds for a 16 MiB frame.
        this.pageQueueHead++;
        const code = frameCodeOf(event.dir, typeof event.data === 'string' ? 1 : 2, typeof event.data === 'string' ? 'text' : 'base64', event.origin, event.status);
        const add = (blob: Blob) => {
          this.addWeighted(ROW_WEIGHT);
          this.building.addLargeFrame(event.socketId, code, event.seq, event.time, blob);
          this.added();
        };
        if (typeof event.data !== 'string' && !(event.data instanceof ArrayBuffer)) {
          add(event.data); // a Blob is already a handle: the background reads it
          continue;
        }
        const finish = (blob: Blob) => {
          add(blob);
          this.payloadPending = false;
          this.drainPageQueue();
          this.flush();
        };
        if (event.pieces !== undefined) {
          this.payloadPending = true;
          this.waitingForPieces = { count: Number.isInteger(event.pieces) && event.pieces > 0 ? event.pieces : 0, done: finish };
          this.claimPieces();
          return;
        }
        const job = this.startLargeBlob(event);
        if (job.blob) {
          this.largeBlobs.delete(event);
          add(job.blob);
          continue;
        }
        this.payloadPending = true;
        job.done = (blob) => {
          this.largeBlobs.delete(event);
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
          this.payloadPending = false;
          this.drainPageQueue();
          this.flush();
        };
        try {
          event.data.arrayBuffer().then((buffer) => {
            event.data = buffer;
            this.payloadPending = false;
            this.drainPageQueue();
            this.flush();
          }, unreadable);
        } catch (error) {
          unreadable(error); // not a Blob after all (or a realm we cannot read): never stall the queue
        }
        return;
      }
      this.pageQueueHead++;
      if (event.k === 'connect') this.knownConnections.add(event.socketId);
      if (event.k === 'frame' && event.data instanceof ArrayBuffer && isPlainFrame(event)) {
        // Binary goes as raw bytes: no base64 on the page's thread.
        this.addWeighted(event.data.byteLength + ROW_WEIGHT);
        const code = frameCodeOf(event.dir, 2, 'base64', event.origin, event.status);
        this.building.addBinaryFrame(event.socketId, code, event.seq, event.time, new Uint8Array(event.data));
        this.added();
        continue;
      }
      for (const wire of toWireEvents(event, event.socketId)) this.addWireEvent(wire);
    }
    this.pageQueue = [];
    this.pageQueueHead = 0;
  }

  private acceptTextPiece(piece: unknown): void {
    if (!(piece instanceof Blob)) return; // only our hook posts on this port
    this.textPieces.push(piece);
    this.claimPieces();
  }

  private claimPieces(): void {
    const waiting = this.waitingForPieces;
    if (waiting === undefined || this.textPieces.length < waiting.count) return;
    this.waitingForPieces = undefined;
    waiting.done(new Blob(this.textPieces.splice(0, waiting.count)));
  }

  private addWireEvent(event: WireEvent): void {
    this.addWeighted(wireEventWeight(event));
    this.building.add(event);
    this.added();
  }

  private added(): void {
    if (this.buildingWeight >= MAX_BATCH_WEIGHT) this.sealBatch();
  }

  /** Makes room for an event of `weight` in the batch being built: seals it first if the event would not fit. */
  private addWeighted(weight: number): void {
    if (this.building.count > 0 && this.buildingWeight + weight > MAX_BATCH_WEIGHT) this.sealBatch();
    this.buildingWeight += weight;
  }

  private sealBatch(): void {
    if (this.building.count === 0) return;
    const batch: Batch = { batchSeq: this.nextBatchSeq++, packed: this.building.seal(), weight: this.buildingWeight };
    this.buildingWeight = 0;
    this.unacked.push(batch);
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = true;
    this.env.setTimer(() => {
      this.flushTimer = false;
      this.flush();
    }, FLUSH_INTERVAL_MS);
  }

  /** Seals what is being built and sends every batch not yet sent on this port. */
  flush(): void {
    this.sealBatch();
    this.sendPending();
  }

  private sentUpTo = 0; // highest batchSeq posted on the current port

  private sendPending(): void {
    if (!this.port || !this.welcomed) return;
    // One large batch per task keeps each of the page's tasks short; the rest follows on the next timer.
    let sentWeight = 0;
    for (const batch of this.unacked) {
      if (batch.batchSeq <= this.sentUpTo) continue;
      if (sentWeight > 0 && sentWeight + batch.weight > MAX_BATCH_WEIGHT) {
        this.scheduleFlush();
        return;
      }
      if (!this.send(message({ type: 'batch', batchSeq: batch.batchSeq, packed: batch.packed }))) return;
      this.sentUpTo = batch.batchSeq;
      sentWeight += batch.weight;
    }
  }

  private send(msg: RelayToBackgroundMessage): boolean {
    if (!this.port) return false;
    try {
      this.port.postMessage(msg);
      return true;
    } catch {
      this.onDisconnect();
      return false;
    }
  }

  private openPort(): void {
    if (this.stopped) return;
    if (!this.env.contextValid()) {
      this.stop();
      return;
    }
    let port: RelayPort;
    try {
      port = this.env.connect();
    } catch {
      // "Extension context invalidated" and the like: this script belongs to an extension that is gone.
      this.stop();
      return;
    }
    this.port = port;
    this.welcomed = false;
    this.sentUpTo = 0;
    port.onMessage.addListener((data) => this.onBackgroundMessage(port, data));
    port.onDisconnect.addListener(() => {
      if (this.port === port) this.onDisconnect();
    });
    this.send(
      message({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        sessionId: this.sessionId,
        topLevel: this.env.topLevel,
        pageUrl: this.env.pageUrl,
        title: this.env.title(),
        startedAt: this.env.startedAt,
      }),
    );
  }

  private onDisconnect(): void {
    const old = this.port;
    this.port = undefined;
    this.welcomed = false;
    try {
      old?.disconnect();
    } catch {
      // already gone
    }
    if (this.stopped) return;
    if (!this.env.contextValid()) {
      this.stop();
      return;
    }
    // Nothing to deliver: stay away and let the worker sleep; the next page event (or a wake) connects again.
    if (!this.hasWork()) {
      this.reconnectAttempt = 0;
      return;
    }
    const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
    this.reconnectAttempt++;
    this.reconnectPending = true;
    this.env.setTimer(() => {
      this.reconnectPending = false;
      if (!this.port) this.openPort();
    }, delay);
  }

  private onBackgroundMessage(port: RelayPort, data: unknown): void {
    if (port !== this.port || !isProtocolMessage(data)) return;
    const msg = data as BackgroundToRelayMessage;
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        // With batches to resend, only an ack proves the background can store them again (a background that
        // fails to store drops the port, and reconnecting at once would spin); with none, the welcome is enough.
        if (this.unacked.length === 0) this.reconnectAttempt = 0;
        this.sessionId = msg.sessionId;
        this.flush();
        break;
      case 'ack': {
        this.reconnectAttempt = 0;
        let drop = 0;
        while (drop < this.unacked.length && this.unacked[drop].batchSeq <= msg.batchSeq) drop++;
        if (drop > 0) this.unacked.splice(0, drop);
        break;
      }
      case 'command':
        this.forwardCommand(msg.requestId, msg.command);
        break;
    }
  }

  private forwardCommand(requestId: string, command: WireCommand): void {
    if (this.stopped) return;
    if (requestId) {
      if (this.recentRequests.has(requestId)) return;
      this.recentRequests.add(requestId);
      if (this.recentRequests.size > RECENT_REQUESTS) this.recentRequests.delete(this.recentRequests.values().next().value!);
    }
    let pageCommand: PageCommand;
    try {
      switch (command.kind) {
        case 'send':
        case 'simulate-receive':
          if (!this.knownConnections.has(command.connectionId)) return; // another frame's socket
          pageCommand = { kind: command.kind, socketId: command.connectionId, data: decodePayload(command) };
          break;
        case 'close':
          if (!this.knownConnections.has(command.connectionId)) return;
          pageCommand = { kind: 'close', socketId: command.connectionId, code: command.code, reason: command.reason };
          break;
        case 'replay':
          if (!this.env.topLevel) return; // replays open from the top frame
          this.knownReplays.add(command.replayId);
          pageCommand = { ...command, steps: command.steps.map((step) => ({ data: decodePayload(step.data), delayMs: step.delayMs })) };
          break;
        case 'replay-stop':
          if (!this.knownReplays.has(command.replayId)) return;
          pageCommand = command;
          break;
        case 'release':
          if (!this.knownHolds.has(command.holdId)) return;
          pageCommand = { kind: 'release', holdId: command.holdId, action: command.action, data: command.data ? decodePayload(command.data) : undefined };
          break;
        case 'set-rules':
          // Compiled here, in the isolated world, where no page code can interfere; RegExps survive the clone.
          pageCommand = { kind: 'set-rules', rules: compileRules(command.rules), holdTimeoutMs: command.holdTimeoutMs };
          break;
        default:
          return;
      }
    } catch {
      if (requestId) this.send(message({ type: 'command-result', requestId, ok: false, error: 'The payload is not valid base64.' }));
      return;
    }
    const transfer: Transferable[] = [];
    if (pageCommand.kind === 'send' || pageCommand.kind === 'simulate-receive' || pageCommand.kind === 'release') {
      if (pageCommand.data instanceof ArrayBuffer) transfer.push(pageCommand.data);
    }
    this.env.postToPage({ ns: NAMESPACE, type: 'command', requestId, command: pageCommand }, transfer);
  }

  /** Stops for good: tells the page hook to stop recording and drops everything. Never throws. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pageQueue = [];
    this.pageQueueHead = 0;
    this.unacked = [];
    this.building = new PackedBatchBuilder();
    try {
      this.env.postToPage({ ns: NAMESPACE, type: 'stop' });
    } catch {
      // page port gone
    }
    try {
      this.port?.disconnect();
    } catch {
      // already gone
    }
    this.port = undefined;
  }
}
