/**
 * The portable shape every file format is read into (and the store is read out of): a session with its
 * connections and their rows, independent of store ids. `lib/io/session-import.ts` writes it into the store with fresh
 * ids; the command-line replayer reads it straight from a file.
 */
import type { ConnectionRecord, RowKind } from '../../shared/records';
import type { Direction, FrameOrigin, FrameStatus, Opcode, PayloadEncoding } from '../../shared/protocol';
import type { SessionFileFormat } from '../../shared/protocol/io';

export interface PortableRow {
  /** Order within the connection; strictly increasing. */
  seq: number;
  /** Wall-clock milliseconds since the epoch, sub-millisecond precision. */
  time: number;
  kind: RowKind;
  dir?: Direction;
  opcode?: Opcode;
  /** Frames: the payload, as text (opcode 1) or base64 (opcode 2). Decoded only when written to the store. */
  encoding?: PayloadEncoding;
  data?: string;
  /** Payload bytes (UTF-8 bytes for text). */
  size?: number;
  /**
   * The payload was not stored (a session over its payload cap): `data` is '' and `size` is the size the frame had.
   */
  payloadOmitted?: boolean;
  origin?: FrameOrigin;
  status?: FrameStatus;
  note?: string;
  /** The rule that held, changed or blocked the frame. */
  rule?: string;
  /** When a rule or an edit changed the payload: the payload before, encoded like `data`. */
  originalEncoding?: PayloadEncoding;
  original?: string;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  protocol?: string;
  extensions?: string;
}

/** The stored connection's own fields (not its ids and counters), so the two shapes cannot drift apart. */
export type PortableConnectionFields = Pick<
  ConnectionRecord,
  | 'url' | 'protocols' | 'protocol' | 'extensions' | 'frameUrl' | 'pageUrl' | 'startedAt' | 'openedAt' | 'closedAt'
  | 'state' | 'closeCode' | 'closeReason' | 'wasClean' | 'errored' | 'initiator' | 'source' | 'initiatorUrl' | 'handshake' | 'pageGone'
>;

/** The fields a connection may lack: copied only when present, so a file never spells them as undefined or null. */
const OPTIONAL_CONNECTION_FIELDS = ['openedAt', 'closedAt', 'closeCode', 'closeReason', 'wasClean', 'initiator', 'source', 'initiatorUrl', 'handshake', 'pageGone'] as const;

/**
 * A connection's own fields, from a stored or a portable connection, in the order files write them: the one list
 * behind our JSON's connection header, HAR's inspector fields and the store's record of an import.
 */
export function connectionFields(c: PortableConnectionFields): PortableConnectionFields {
  const fields: PortableConnectionFields = {
    url: c.url,
    protocols: c.protocols,
    protocol: c.protocol,
    extensions: c.extensions,
    frameUrl: c.frameUrl,
    pageUrl: c.pageUrl,
    startedAt: c.startedAt,
    state: c.state,
    errored: c.errored,
  };
  copyOptionalConnectionFields(c, fields);
  return fields;
}

/** Copies the optional connection fields `from` has onto `to`, leaving out the ones it lacks. */
export function copyOptionalConnectionFields(from: Partial<PortableConnectionFields>, to: Partial<PortableConnectionFields>): void {
  for (const key of OPTIONAL_CONNECTION_FIELDS) if (from[key] !== undefined) (to as Record<string, unknown>)[key] = from[key];
}

export interface PortableConnection extends PortableConnectionFields {
  rows: PortableRow[];
}

export type PortableFormat = SessionFileFormat;

export interface PortableSession {
  /** Which format it was read from. */
  format: PortableFormat;
  pageUrl: string;
  title: string;
  startedAt: number;
  connections: PortableConnection[];
  /** Things that were read but could not be kept (e.g. control frames in a HAR), for the user to see. */
  warnings: string[];
}

/** Byte length of a payload without decoding it. */
export function payloadSize(encoding: PayloadEncoding, data: string, utf8Length: (s: string) => number): number {
  if (encoding === 'text') return utf8Length(data);
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}
