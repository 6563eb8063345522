/**
 * The per-session payload cap, as the writer applies it to one batch (lib/store/write.ts writeEvents).
 *
 * A page can send without end (a closed socket's sends are recorded too: issue #9 §3 saw 1.2 GB in 40 s). Once a
 * captured session's stored payloads would pass its cap, the writer STOPS STORING NEW PAYLOADS: every later frame
 * still gets its row (seq, time, direction, size, status) and still counts in the session's and connection's
 * frame and byte totals, but its payload (and a rule's `original`) is left out and the row carries CAP_NOTE.
 * Stopping new payloads rather than dropping the oldest keeps the start of the conversation (the handshake and
 * what led up to the flood, usually what one debugs), needs no rewriting of stored chunks, and keeps every stored
 * row as it was written. Once reached, a session stays capped, even if the setting is raised later.
 *
 * Imported sessions are never capped: they are written whole by lib/io (which does not go through writeEvents),
 * and writeEvents caps only sessions whose source is 'captured'.
 */
import type { SessionPayloadCap, SessionRecord } from '../shared/records';

/** Payload bytes a session holds in the store: its frames' bytes less those whose payload was not stored. */
export function storedBytes(session: SessionRecord): number {
  return session.bytes - (session.payloadCap?.droppedBytes ?? 0);
}

/** Bytes as the note and the panel say them: "256 MiB", "1.5 KiB", "10 B". */
export function formatCapBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}

/** The note on a row whose payload was not stored. */
export function capNote(limit: number): string {
  return `payload not stored: session over its ${formatCapBytes(limit)} cap`;
}

/** One batch's view of a session's cap: which frames keep their payload, and what the session record must say. */
export class PayloadCapCounter {
  private readonly limit: number;
  private stored: number;
  private state: SessionPayloadCap | undefined;

  /** `limit`: the session's cap in payload bytes (Infinity: none). */
  constructor(session: SessionRecord, limit: number) {
    this.limit = limit;
    this.stored = storedBytes(session);
    this.state = session.payloadCap && { ...session.payloadCap };
  }

  /** Whether the next frame (of `size` payload bytes, at `time`) keeps its payload; counts it either way. */
  admit(size: number, time: number): boolean {
    if (!this.state && this.stored + size <= this.limit) {
      this.stored += size;
      return true;
    }
    this.state ??= { limit: this.limit, reachedAt: time, droppedFrames: 0, droppedBytes: 0 };
    this.state.droppedFrames++;
    this.state.droppedBytes += size;
    return false;
  }

  /** The note for a frame admit() refused. */
  get note(): string {
    return capNote(this.state?.limit ?? this.limit);
  }

  /** What the session record's payloadCap must be after this batch (undefined: not reached). */
  get reached(): SessionPayloadCap | undefined {
    return this.state;
  }
}
