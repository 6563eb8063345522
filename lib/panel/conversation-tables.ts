/**
 * The panel's copy of what the conversation worker says about each row, per connection, in typed arrays indexed
 * by seq (lib/io/conversation-engine.ts ConnectionRowTable): patches from the worker are merged in place, and the
 * grid's questions (which pair, how long, unanswered, heartbeat) are a few array reads. No object per row: a
 * million-row session costs ~11 MB here (4 bytes a row more on connections with streams).
 */
import { ROW_HEARTBEAT, ROW_ITEM, ROW_REQUEST, ROW_RESPONSE, ROW_STREAM_END, ROW_UNANSWERED, type RowPatch } from '../io/conversation-engine';

/** A row's place in a request↔response pair (RowPair in conversation-state.svelte.ts). */
export interface PairRole {
  role: 'request' | 'response';
  /** The other row's seq, on the same connection. */
  partnerSeq: number;
  /** Time from the request to its (first) response. */
  latencyMs: number;
  /** The request's method or message type. */
  label: string;
}

/**
 * A later item of a stream (a subscription's 2nd, 3rd… `next`; lib/analysis/pairing.ts): tied to the request that
 * opened the stream. `latencyMs` is the stream's (its request's time to first response), so a "slower than"
 * filter keeps or hides a stream whole; the time since the request is `sinceRequestMs`.
 */
export interface StreamItemRole {
  role: 'item';
  /** The request's seq. */
  partnerSeq: number;
  latencyMs: number;
  label: string;
  /** This item's time since the request, ms. */
  sinceRequestMs: number;
  /** Its place in the stream: the first response is 1, so items count from 2. */
  index: number;
  /** The stream's end marker (GraphQL complete, SignalR Completion). */
  end: boolean;
}

export type RowPairFacts = PairRole | StreamItemRole;

class Table {
  flags = new Uint8Array(0);
  partner = new Int32Array(0);
  latency = new Float32Array(0);
  label = new Uint16Array(0);
  /** Stream items' indexes, made at the first patch that has them. */
  item: Uint32Array | undefined;
  labels: string[] = [];

  constructor(readonly baseSeq: number) {}

  apply(patch: RowPatch): void {
    const from = patch.fromSeq - this.baseSeq;
    const end = from + patch.flags.length;
    if (from < 0) return;
    if (end > this.flags.length) this.grow(end);
    this.flags.set(patch.flags, from);
    this.partner.set(patch.partner, from);
    this.latency.set(patch.latency, from);
    this.label.set(patch.label, from);
    if (patch.item) {
      this.item ??= new Uint32Array(this.flags.length);
      this.item.set(patch.item, from);
    }
    for (let i = 0; i < patch.labels.length; i++) this.labels[patch.labelsFrom + i] = patch.labels[i];
  }

  private grow(min: number): void {
    let size = Math.max(256, this.flags.length);
    while (size < min) size *= 2;
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    const partner = new Int32Array(size);
    partner.set(this.partner);
    const latency = new Float32Array(size);
    latency.set(this.latency);
    const label = new Uint16Array(size);
    label.set(this.label);
    let item: Uint32Array | undefined;
    if (this.item) {
      item = new Uint32Array(size);
      item.set(this.item);
    }
    Object.assign(this, { flags, partner, latency, label, item });
  }

  index(seq: number): number {
    const i = seq - this.baseSeq;
    return i >= 0 && i < this.flags.length ? i : -1;
  }
}

export class ConversationTables {
  private tables = new Map<string, Table>();

  clear(): void {
    this.tables = new Map();
  }

  apply(patches: readonly RowPatch[]): void {
    for (const patch of patches) {
      let table = this.tables.get(patch.connectionId);
      if (!table || table.baseSeq !== patch.baseSeq) this.tables.set(patch.connectionId, (table = new Table(patch.baseSeq)));
      table.apply(patch);
    }
  }

  private flags(connectionId: string, seq: number): { table: Table; i: number } | undefined {
    const table = this.tables.get(connectionId);
    if (!table) return undefined;
    const i = table.index(seq);
    return i < 0 ? undefined : { table, i };
  }

  pairOf(connectionId: string, seq: number): RowPairFacts | undefined {
    const at = this.flags(connectionId, seq);
    if (!at) return undefined;
    const { table, i } = at;
    const flags = table.flags[i];
    const label = table.labels[table.label[i]] ?? '';
    if (flags & ROW_ITEM) {
      const request = table.index(table.partner[i]);
      const sinceRequestMs = table.latency[i];
      // The request's row holds the stream's latency (its first response's).
      const latencyMs = request >= 0 && table.flags[request] & ROW_REQUEST ? table.latency[request] : sinceRequestMs;
      return { role: 'item', partnerSeq: table.partner[i], latencyMs, label, sinceRequestMs, index: table.item?.[i] ?? 0, end: (flags & ROW_STREAM_END) !== 0 };
    }
    const role = flags & ROW_RESPONSE ? 'response' : flags & ROW_REQUEST && !(flags & ROW_UNANSWERED) ? 'request' : undefined;
    if (!role) return undefined;
    return { role, partnerSeq: table.partner[i], latencyMs: table.latency[i], label };
  }

  isUnanswered(connectionId: string, seq: number): boolean {
    const at = this.flags(connectionId, seq);
    return at !== undefined && (at.table.flags[at.i] & ROW_UNANSWERED) !== 0;
  }

  isHeartbeat(connectionId: string, seq: number): boolean {
    const at = this.flags(connectionId, seq);
    return at !== undefined && (at.table.flags[at.i] & ROW_HEARTBEAT) !== 0;
  }

  /** The label an unanswered request was counted under ('' when none). */
  labelOf(connectionId: string, seq: number): string {
    const at = this.flags(connectionId, seq);
    return at ? (at.table.labels[at.table.label[at.i]] ?? '') : '';
  }
}
