/**
 * Protocol decoding of the session on screen (lib/decoders): one decoder per connection, detected from its
 * subprotocol and first rows or chosen by the user ("Decode as", kept in settings). `decodingVersion` is bumped
 * whenever a connection's decoder changes, so decoded text on screen is read again.
 */
import type { ConnectionRecord, FrameRecord } from '../shared/records';
import type { RowMatcher } from '../shared/filters';
import { readConnectionRows, type InspectorDatabase } from '../store/frame-store';
import { ConnectionDecoders } from '../decoders/connection-decoders';
import { DETECT_FRAMES, type DecodeOutcome, type Detection } from '../decoders';
import { decoderOverrideKey, type PanelSettings } from './panel-settings';

/** Connections whose first rows are read at once while detecting. */
const DETECT_BATCH = 32;

export class DecodingState {
  /** Bumped when a connection's decoder changes (detection, "Decode as"): decoded text on screen is re-read. */
  decodingVersion = $state(0);

  private readonly settings: PanelSettings;
  /** Decoding state of the session on screen (one decoder per connection). */
  private decoding = new ConnectionDecoders();
  /** Per connection: the lastSeq detection last ran at, and how many rows it read then. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  private detectedAt = new Map<string, { lastSeq: number; rows: number }>();

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** Another session on screen: start again. */
  reset(): void {
    this.decoding = new ConnectionDecoders();
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
    this.detectedAt = new Map();
  }

  /**
   * Detects the decoder of every connection that has new rows and no decoder yet: from its subprotocol and first
   * rows, once it has rows, and again when more arrive while fewer than DETECT_FRAMES were read and nothing was
   * found. Loads the user's stored "Decode as" choice. Returns true when a decoder changed.
   */
  async detect(db: InspectorDatabase | undefined, sessionId: string | null, connections: readonly ConnectionRecord[]): Promise<boolean> {
    if (!db || sessionId === null) return false;
    const decoding = this.decoding;
    let changed = false;
    const detectOne = async (connection: ConnectionRecord): Promise<void> => {
      const before = this.detectedAt.get(connection.id);
      try {
        const [rows, override] = await Promise.all([readConnectionRows(db, sessionId, connection.id, 0, DETECT_FRAMES), before ? undefined : this.settings.read(decoderOverrideKey(connection.id))]);
        if (rows.length === 0 || decoding !== this.decoding) return;
        if (typeof override === 'string') decoding.setOverride(connection.id, override);
        const previous = decoding.decoderId(connection.id);
        decoding.detect(connection.id, connection, rows);
        this.detectedAt.set(connection.id, { lastSeq: connection.lastSeq, rows: rows.length });
        if (decoding.decoderId(connection.id) !== previous) changed = true;
      } catch {
        // unreadable rows: the connection is shown undecoded, detection runs again on its next rows
      }
    };
    // Connections with nothing stored (lastSeq 0) have nothing to detect from; the rest are read DETECT_BATCH at
    // a time (a session may hold 20,000 connections: one after another would take seconds).
    const due = connections.filter((connection) => {
      const before = this.detectedAt.get(connection.id);
      if (connection.lastSeq <= (before?.lastSeq ?? 0)) return false;
      return !(before && ((decoding.detection(connection.id)?.id ?? null) !== null || before.rows >= DETECT_FRAMES));
    });
    for (let i = 0; i < due.length && decoding === this.decoding; i += DETECT_BATCH) await Promise.all(due.slice(i, i + DETECT_BATCH).map(detectOne));
    if (changed) this.decodingVersion++;
    return changed;
  }

  /** "Decode as": the user's decoder for a connection (null returns to detection), kept in settings. */
  async setOverride(connectionId: string, decoderId: string | null): Promise<void> {
    this.decoding.setOverride(connectionId, decoderId);
    this.decodingVersion++;
    if (decoderId === null) await this.settings.remove(decoderOverrideKey(connectionId));
    else await this.settings.write(decoderOverrideKey(connectionId), decoderId);
  }

  /** The decoded-fields query's matcher; null when the query is blank. */
  matcher(query: string): RowMatcher | null {
    return query.trim() === '' ? null : this.decoding.matcher(query);
  }

  /** The decoder in use per connection (an export of the filtered view decodes with these). */
  decoderIdsInUse(connectionIds: Iterable<string>): Record<string, string> {
    void this.decodingVersion;
    return this.decoding.inUse(connectionIds);
  }

  /** The row's decoded form; undefined when it is not a frame or its connection has no decoder. */
  decodedOf(row: FrameRecord): DecodeOutcome | undefined {
    void this.decodingVersion; // re-read when decoders change
    return this.decoding.decode(row);
  }

  /** The grid's summary column: '' when the row is not decoded. */
  summaryOf(row: FrameRecord): string {
    void this.decodingVersion;
    return this.decoding.summary(row);
  }

  /** What detection found for a connection (candidates for the "Decode as" menu). */
  detectionOf(connectionId: string): Detection | undefined {
    void this.decodingVersion;
    return this.decoding.detection(connectionId);
  }
}
