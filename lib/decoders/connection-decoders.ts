/**
 * The panel's decoding state for a session: one decoder per connection (detected, or the user's override), each a
 * ConnectionDecoder that keeps protocol state across that connection's frames. Rows must reach `decode` in seq
 * order per connection (the grid's pages and the filter scans read them in that order).
 */
import { createConnectionDecoder, detectDecoder, type ConnectionDecoder, type Detection } from './index';
import type { ConnectionLike, DecodedFields, DecodeOutcome, FrameLike } from './types';
import { matchesDecodedFilter, parseDecodedFilter } from './filter';

type Row = FrameLike & { connectionId: string };

export class ConnectionDecoders {
  private readonly decoders = new Map<string, ConnectionDecoder>();
  private readonly detections = new Map<string, Detection>();
  private readonly overrides = new Map<string, string>();
  private readonly connections = new Map<string, ConnectionLike>();

  /**
   * Detects the decoder of a connection from its subprotocol, URL and first data frames (read them once, e.g. the
   * first 5 rows of the connection). Returns the detection; `decoderId` says what is in use (override first).
   */
  detect(connectionId: string, connection: ConnectionLike, firstFrames: FrameLike[]): Detection {
    const detection = detectDecoder(connection, firstFrames);
    this.detections.set(connectionId, detection);
    this.connections.set(connectionId, connection);
    if (!this.overrides.has(connectionId)) this.decoders.delete(connectionId);
    return detection;
  }

  /** The user's "Decode as" choice for a connection; null returns to detection. Earlier results are dropped. */
  setOverride(connectionId: string, decoderId: string | null): void {
    if (decoderId === null) this.overrides.delete(connectionId);
    else this.overrides.set(connectionId, decoderId);
    this.decoders.delete(connectionId);
  }

  /** Decodes a connection with `decoderId`, nothing detected: a reader repeating the panel's choices. */
  use(connectionId: string, decoderId: string, connection: ConnectionLike): void {
    this.connections.set(connectionId, connection);
    this.setOverride(connectionId, decoderId);
  }

  /** The decoder in use for a connection, or null when none was detected or chosen. */
  decoderId(connectionId: string): string | null {
    return this.overrides.get(connectionId) ?? this.detections.get(connectionId)?.id ?? null;
  }

  detection(connectionId: string): Detection | undefined {
    return this.detections.get(connectionId);
  }

  /** Decodes a row with its connection's decoder; undefined when the connection has no decoder or it is not a frame. */
  decode(row: Row): DecodeOutcome | undefined {
    if ((row.kind ?? 'frame') !== 'frame') return undefined;
    const id = this.decoderId(row.connectionId);
    if (id === null) return undefined;
    let decoder = this.decoders.get(row.connectionId);
    if (!decoder) {
      decoder = createConnectionDecoder(id, this.connections.get(row.connectionId) ?? { url: '', protocol: '' });
      this.decoders.set(row.connectionId, decoder);
    }
    // A later frame may have amended this one (Socket.IO attachments, MQTT packets split across frames).
    return (row.seq !== undefined ? decoder.get(row.seq) : undefined) ?? decoder.decode(row);
  }

  /** The list column's text: the summary, '' when there is nothing to decode. */
  summary(row: Row): string {
    return this.decode(row)?.summary ?? '';
  }

  fields(row: Row): DecodedFields | undefined {
    const outcome = this.decode(row);
    return outcome?.ok ? outcome.fields : undefined;
  }

  /** A row matcher for the decoded-field filter (see lib/decoders/filter.ts for the syntax). */
  matcher(query: string): (row: Row) => boolean {
    const terms = parseDecodedFilter(query);
    return (row) => matchesDecodedFilter(this.fields(row), terms);
  }

  /** The decoder ids in use, by connection (what an export in a worker needs to decode as the panel does). */
  inUse(connectionIds: Iterable<string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of connectionIds) {
      const decoderId = this.decoderId(id);
      if (decoderId !== null) out[id] = decoderId;
    }
    return out;
  }
}

/**
 * The decoded-fields matcher of a view decoded with `decoderIds` (connection → decoder, as the panel had them),
 * for a reader without the panel's state: an export of the filtered view in a worker. Rows must come in seq order
 * per connection; a connection missing from `connections` decodes with an empty URL and subprotocol.
 */
export function decodedRowMatcher(query: string, decoderIds: Record<string, string>, connections: ReadonlyMap<string, ConnectionLike>): (row: Row) => boolean {
  const decoders = new ConnectionDecoders();
  for (const [connectionId, decoderId] of Object.entries(decoderIds)) decoders.use(connectionId, decoderId, connections.get(connectionId) ?? { url: '', protocol: '' });
  return decoders.matcher(query);
}
