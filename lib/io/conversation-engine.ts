/**
 * The conversation of one stored session, computed where the panel's main thread is not (lib/io/conversation-worker.ts
 * runs it): reads the session's rows in pages, in session order, through SessionAnalysis (pairs, latency, stats,
 * heartbeats) and TimelineBuckets, and keeps per connection what the grid asks of each row, in typed arrays indexed
 * by seq (ConnectionRowTable: ~11 bytes a row, 11 MB for a million; 4 more on connections with streams). It
 * continues from where it stopped when asked
 * again (live traffic), so a run after new rows reads only those.
 *
 * What it hands back (`update()`): the figures, the timeline, and for each connection the span of its table that
 * changed since the last update (RowPatch), copied into fresh arrays that are transferred, not cloned: the panel
 * merges them into its own tables (lib/panel/conversation-tables.ts). A request's row changes when its answer
 * comes, so a patch starts at the oldest row changed, not at the last one read.
 *
 * Unanswered: a request with no answer `timeoutMs` after it was sent by the wall clock (`now`), or at once when its
 * connection closed (a close or error row) or the session was imported (nothing more will come): the end-of-capture
 * rule of ConnectionPairing.finish.
 *
 * Stream items (a subscription's later `next`s, SignalR StreamItems; see lib/analysis/pairing.ts): the row of each
 * is marked ROW_ITEM (ROW_STREAM_END too for the end marker), its partner is the request, its latency the time
 * since the request, and its index in the stream is kept in a fourth array made for connections that have any.
 *
 * The user's JSON paths (`pairPaths`) pair the connections whose decoder has no ids of its own (plain JSON, text,
 * MessagePack…): a JSON-RPC or STOMP connection of the same site keeps pairing by its protocol's ids.
 */
import { PAIRING_DECODERS, SessionAnalysis, type PairPaths, type SessionAnalysisResult } from '../analysis';
import { smallPayloadKey } from '../analysis/heartbeats';
import type { StreamItem } from '../analysis/pairing';
import { TimelineBuckets, type TimelineData } from '../analysis/timeline-buckets';
import type { FrameRecord } from '../shared/records';
import { readSessionRows, type InspectorDatabase } from '../store/frame-store';

/** Bits of a row's flags. */
export const ROW_REQUEST = 1;
export const ROW_RESPONSE = 2;
export const ROW_UNANSWERED = 4;
export const ROW_HEARTBEAT = 8;
/** A later item of a stream (partner: its request; latency: the time since it). */
export const ROW_ITEM = 16;
/** The item is its stream's end marker (GraphQL complete, SignalR Completion). */
export const ROW_STREAM_END = 32;
const ROW_ROLES = ROW_REQUEST | ROW_RESPONSE | ROW_UNANSWERED | ROW_ITEM | ROW_STREAM_END;

/** Rows read per IndexedDB request (a few hundred KB of chunks). */
export const PAGE_ROWS = 4096;
/** A frame bigger than this is not asked whether it is a heartbeat (every heartbeat the readers know is a few bytes). */
const HEARTBEAT_CHECK_BYTES = 512;
/** Small payloads remembered per connection until the repeated-heartbeat detector decides (see `beatCandidates`). */
const MAX_BEAT_CANDIDATES = 512;
const MAX_BEAT_SEQS = 8;
/** Labels per connection; past this the rest read '(other)' (labels are methods and types: a bounded set). */
const MAX_LABELS = 65_535;

export interface ConversationOptions {
  sessionId: string;
  /** Decoder per connection (the panel's decoderIdsInUse); connections added later may be named in `addDecoders`. */
  decoderIds: Record<string, string>;
  pairPaths?: PairPaths | null;
  timeoutMs?: number;
}

/** One connection's rows [fromSeq, fromSeq + flags.length) as they are now. */
export interface RowPatch {
  connectionId: string;
  /** The seq index 0 of the connection's table stands for (its first row's). */
  baseSeq: number;
  fromSeq: number;
  flags: Uint8Array;
  /** The pair's other row (0: none). */
  partner: Int32Array;
  latency: Float32Array;
  /** Index into the connection's labels. */
  label: Uint16Array;
  /** A stream item's index in its stream (2, 3, …; 0 elsewhere); absent while the connection has no stream items. */
  item?: Uint32Array;
  /** The connection's labels from index `labelsFrom` on (the earlier ones were sent before). */
  labelsFrom: number;
  labels: string[];
}

export interface ConversationUpdate {
  result: SessionAnalysisResult;
  timeline: TimelineData;
  patches: RowPatch[];
  /** Rows read so far, and how many the session holds (as of this run's start). */
  analysed: number;
  total: number;
  /** Requests still waiting for an answer (a later run may time them out). */
  outstanding: number;
}

/** The per-row answers of one connection, growing by seq. */
export class ConnectionRowTable {
  baseSeq = -1;
  flags = new Uint8Array(256);
  partner = new Int32Array(256);
  latency = new Float32Array(256);
  label = new Uint16Array(256);
  /** Made at the connection's first stream item. */
  item: Uint32Array | undefined;
  labels: string[] = [];
  private labelIndex = new Map<string, number>();
  private labelsSent = 0;
  /** Changed since the last patch: [dirtyFrom, dirtyTo) as indexes. */
  private dirtyFrom = Infinity;
  private dirtyTo = 0;

  private index(seq: number): number {
    if (this.baseSeq < 0) this.baseSeq = seq;
    const i = seq - this.baseSeq;
    if (i < 0) return -1; // rows come in seq order per connection: never below the first one
    if (i >= this.flags.length) this.grow(i + 1);
    if (i < this.dirtyFrom) this.dirtyFrom = i;
    if (i + 1 > this.dirtyTo) this.dirtyTo = i + 1;
    return i;
  }

  private grow(min: number): void {
    let size = this.flags.length;
    while (size < min) size *= 2;
    const grown = <T extends Uint8Array | Int32Array | Float32Array | Uint16Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(a);
      return next;
    };
    this.flags = grown(this.flags, (n) => new Uint8Array(n));
    this.partner = grown(this.partner, (n) => new Int32Array(n));
    this.latency = grown(this.latency, (n) => new Float32Array(n));
    this.label = grown(this.label, (n) => new Uint16Array(n));
    if (this.item) this.item = grown(this.item, (n) => new Uint32Array(n));
  }

  private labelOf(label: string): number {
    let i = this.labelIndex.get(label);
    if (i !== undefined) return i;
    if (this.labels.length >= MAX_LABELS) return this.labelOf('(other)');
    i = this.labels.length;
    this.labels.push(label);
    this.labelIndex.set(label, i);
    return i;
  }

  setPair(seq: number, role: number, partnerSeq: number, latencyMs: number, label: string): void {
    const i = this.index(seq);
    if (i < 0) return;
    this.flags[i] = (this.flags[i] & ~ROW_ROLES) | role;
    this.partner[i] = partnerSeq;
    this.latency[i] = latencyMs;
    this.label[i] = this.labelOf(label);
  }

  /** A stream's later item (or end marker): tied to its request, `sinceRequestMs` after it, `index`-th in the stream. */
  setItem(seq: number, requestSeq: number, sinceRequestMs: number, label: string, index: number, end: boolean): void {
    this.setPair(seq, ROW_ITEM | (end ? ROW_STREAM_END : 0), requestSeq, sinceRequestMs, label);
    const i = seq - this.baseSeq;
    if (i < 0) return;
    this.item ??= new Uint32Array(this.flags.length);
    this.item[i] = index;
  }

  setFlag(seq: number, flag: number, label?: string): void {
    const i = this.index(seq);
    if (i < 0) return;
    this.flags[i] |= flag;
    if (label !== undefined) this.label[i] = this.labelOf(label);
  }

  /** Notes that the row was read (so the base is its first seq even when nothing is set on it). */
  see(seq: number): void {
    if (this.baseSeq < 0) this.baseSeq = seq;
  }

  /** The span changed since the last patch, copied (undefined when nothing changed). */
  takePatch(connectionId: string): RowPatch | undefined {
    if (this.dirtyFrom >= this.dirtyTo) return undefined;
    const from = this.dirtyFrom;
    const to = this.dirtyTo;
    this.dirtyFrom = Infinity;
    this.dirtyTo = 0;
    const labelsFrom = this.labelsSent;
    this.labelsSent = this.labels.length;
    return {
      connectionId,
      baseSeq: this.baseSeq,
      fromSeq: this.baseSeq + from,
      flags: this.flags.slice(from, to),
      partner: this.partner.slice(from, to),
      latency: this.latency.slice(from, to),
      label: this.label.slice(from, to),
      ...(this.item ? { item: this.item.slice(from, to) } : {}),
      labelsFrom,
      labels: this.labels.slice(labelsFrom),
    };
  }
}

/** The buffers of patches, for postMessage's transfer list. */
export function patchBuffers(patches: readonly RowPatch[]): ArrayBuffer[] {
  return patches.flatMap((p) => [p.flags.buffer, p.partner.buffer, p.latency.buffer, p.label.buffer, ...(p.item ? [p.item.buffer] : [])] as ArrayBuffer[]);
}

export class ConversationEngine {
  readonly options: ConversationOptions;
  private readonly analysis: SessionAnalysis;
  private readonly timeline = new TimelineBuckets();
  private readonly tables = new Map<string, ConnectionRowTable>();
  /** Per connection: small payloads seen before the detector called them heartbeats (key → their seqs). */
  private readonly beatCandidates = new Map<string, Map<string, number[]>>();
  /** Connections whose capture ended (close or error row): their waiting requests are unanswered. */
  private readonly ended = new Set<string>();
  private readonly decoderIds: Record<string, string>;
  /** The user's paths for each connection they apply to, filled at a connection's first row (see the module comment). */
  private readonly pathsByConnection: Record<string, PairPaths> = {};
  /** Session position of the next row to read. */
  private position = 0;
  private total = 0;

  constructor(
    private readonly db: InspectorDatabase,
    options: ConversationOptions,
  ) {
    this.options = options;
    // SessionAnalysis reads a connection's decoder at its first row from this object: connections detected later
    // are added to it (addDecoders) before their rows are read.
    this.decoderIds = { ...options.decoderIds };
    this.analysis = new SessionAnalysis({
      decoderIds: this.decoderIds,
      // Read by SessionAnalysis at each connection's first row, after `table` filled it in.
      pairPaths: options.pairPaths ? this.pathsByConnection : undefined,
      timeoutMs: options.timeoutMs,
      onPair: (pair) => {
        const table = this.table(pair.connectionId);
        table.setPair(pair.requestSeq, ROW_REQUEST, pair.responseSeq, pair.latencyMs, pair.label);
        table.setPair(pair.responseSeq, ROW_RESPONSE, pair.requestSeq, pair.latencyMs, pair.label);
      },
      onUnanswered: (request) => this.table(request.connectionId).setFlag(request.requestSeq, ROW_REQUEST | ROW_UNANSWERED, request.label),
      onStreamItem: (item) => this.onStreamItem(item),
    });
  }

  private readonly onStreamItem = (item: StreamItem): void => {
    this.table(item.connectionId).setItem(item.itemSeq, item.requestSeq, item.sinceRequestMs, item.label, item.index, item.end);
  };

  get analysed(): number {
    return this.position;
  }

  /** Decoders of connections the panel detected since the start (those already read keep theirs). */
  addDecoders(decoderIds: Record<string, string>): void {
    for (const [id, decoder] of Object.entries(decoderIds)) if (!(id in this.decoderIds)) this.decoderIds[id] = decoder;
  }

  private table(connectionId: string): ConnectionRowTable {
    let table = this.tables.get(connectionId);
    if (table) return table;
    this.tables.set(connectionId, (table = new ConnectionRowTable()));
    const paths = this.options.pairPaths;
    if (paths && !PAIRING_DECODERS.includes(this.decoderIds[connectionId] ?? '')) this.pathsByConnection[connectionId] = paths;
    return table;
  }

  /**
   * Reads the rows stored since the last run, at most `maxRows` of them (the caller posts an update between
   * slices). Returns false once it reached the end of what is stored; `stop()` true stops between pages.
   */
  async step(maxRows: number, stop: () => boolean = () => false): Promise<boolean> {
    const session = await this.db.get('sessions', this.options.sessionId);
    this.total = session?.rowCount ?? 0;
    let read = 0;
    while (read < maxRows && this.position < this.total && !stop()) {
      const rows = await readSessionRows(this.db, this.options.sessionId, this.position, Math.min(PAGE_ROWS, this.total - this.position));
      if (rows.length === 0) break;
      this.push(rows);
      this.position += rows.length;
      read += rows.length;
    }
    const more = this.position < this.total;
    if (!more) this.settle(session?.source === 'imported');
    return more;
  }

  /** Analyses one page (session order). Public for tests that feed rows without a database. */
  push(rows: readonly FrameRecord[]): void {
    for (const row of rows) if (!this.tables.has(row.connectionId)) this.table(row.connectionId);
    this.analysis.push(rows);
    this.timeline.push(rows);
    for (const row of rows) {
      const table = this.table(row.connectionId);
      table.see(row.seq);
      if (row.kind === 'close' || row.kind === 'error') this.ended.add(row.connectionId);
      if (row.kind !== 'frame' || row.size > HEARTBEAT_CHECK_BYTES) continue;
      if (this.analysis.isHeartbeat(row)) {
        table.setFlag(row.seq, ROW_HEARTBEAT);
        this.flagEarlierBeats(row, table);
      } else this.rememberBeatCandidate(row);
    }
    for (const id of this.ended) this.analysis.pairingOf(id)?.finish();
    this.ended.clear();
  }

  /**
   * The repeated-heartbeat detector calls a payload a heartbeat from its 4th regular occurrence on: the earlier
   * rows of the same payload are flagged when it does.
   */
  private rememberBeatCandidate(row: FrameRecord): void {
    const key = smallPayloadKey(row);
    if (key === undefined) return;
    let byKey = this.beatCandidates.get(row.connectionId);
    if (!byKey) this.beatCandidates.set(row.connectionId, (byKey = new Map()));
    const fullKey = `${row.dir ?? 'receive'}${key}`;
    let seqs = byKey.get(fullKey);
    if (!seqs) {
      if (byKey.size >= MAX_BEAT_CANDIDATES) byKey.clear(); // one-off small messages: start over
      byKey.set(fullKey, (seqs = []));
    }
    if (seqs.length < MAX_BEAT_SEQS) seqs.push(row.seq);
  }

  private flagEarlierBeats(row: FrameRecord, table: ConnectionRowTable): void {
    const key = smallPayloadKey(row);
    const byKey = this.beatCandidates.get(row.connectionId);
    if (key === undefined || !byKey) return;
    const fullKey = `${row.dir ?? 'receive'}${key}`;
    const seqs = byKey.get(fullKey);
    if (!seqs) return;
    for (const seq of seqs) table.setFlag(seq, ROW_HEARTBEAT);
    byKey.delete(fullKey);
  }

  /** At the end of what is stored: requests past their timeout by the wall clock, or all of them when nothing more will come. */
  private settle(complete: boolean): void {
    if (complete) {
      this.analysis.finish();
      return;
    }
    const now = Date.now();
    for (const id of this.tables.keys()) this.analysis.pairingOf(id)?.advance(now);
  }

  /** What changed since the last update (see the module comment). */
  update(): ConversationUpdate {
    const patches: RowPatch[] = [];
    for (const [id, table] of this.tables) {
      const patch = table.takePatch(id);
      if (patch) patches.push(patch);
    }
    const result = this.analysis.result();
    let outstanding = 0;
    for (const c of result.connections) outstanding += c.pairing.outstanding;
    return { result, timeline: this.timeline.result(), patches, analysed: this.position, total: Math.max(this.total, this.position), outstanding };
  }
}
