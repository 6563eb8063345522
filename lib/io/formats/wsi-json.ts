/**
 * Our own file format, `.wsi.json` (documented in docs/format.md, schema in docs/wsi.schema.json): lossless —
 * every row of every connection with its exact payload (text as text, binary as base64), its wall-clock
 * timestamp in milliseconds with sub-millisecond precision, and the connection's metadata.
 *
 * Writing is streamed: a writer hands out the file as strings, connection by connection and row by row, so a
 * million rows never exist as one object. Reading validates the whole file before anything is stored.
 */
import type { ConnectionRecord, ConnectionState, FrameRecord, RowKind, SessionRecord } from '../../shared/records';
import type { Direction, FrameOrigin, FrameStatus, Opcode } from '../../shared/protocol';
import { bytesToBase64, utf8ByteLength } from '../../shared/wire';
import { FormatError, asObject, isBase64, join, optional, required, typeOf } from './errors';
import { exportHandshake, readHandshake, type SecretsOption } from './handshake';
import { connectionFields, payloadSize, type PortableConnection, type PortableRow, type PortableSession } from './model';

export const WSI_FORMAT = 'websocket-inspector';
export const WSI_VERSION = 1;
export const WSI_EXTENSION = '.wsi.json';

/** What part of a session a file holds. */
export type ExportScopeKind = 'session' | 'connection' | 'selection' | 'filtered';

export interface WsiExportInfo {
  scope: ExportScopeKind;
  exportedAt: string;
  exporter: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

function sessionHeader(session: SessionRecord): Record<string, unknown> {
  const header: Record<string, unknown> = {
    pageUrl: session.pageUrl,
    title: session.title,
    startedAt: session.startedAt,
    lastActivity: session.lastActivity,
    source: session.source,
  };
  if (session.importedFrom !== undefined) header.importedFrom = session.importedFrom;
  return header;
}

function connectionHeader(c: ConnectionRecord, options: SecretsOption = {}): Record<string, unknown> {
  const fields = connectionFields(c);
  if (fields.handshake) fields.handshake = exportHandshake(fields.handshake, options);
  return { id: c.id, ...fields };
}

/** One stored row as it appears in the file. */
export function wsiRow(row: FrameRecord): PortableRow {
  const out: PortableRow = { seq: row.seq, time: row.time, kind: row.kind };
  switch (row.kind) {
    case 'frame':
      out.dir = row.dir;
      out.opcode = row.opcode;
      if (row.data === undefined) {
        // Not stored (the session reached its payload cap): keep the frame's place, size and note, no payload.
        out.encoding = row.opcode === 2 ? 'base64' : 'text';
        out.data = '';
        out.payloadOmitted = true;
      } else if (typeof row.data === 'string') {
        out.encoding = 'text';
        out.data = row.data;
      } else {
        out.encoding = 'base64';
        out.data = bytesToBase64(new Uint8Array(row.data ?? new ArrayBuffer(0)));
      }
      out.size = row.size;
      out.origin = row.origin;
      out.status = row.status;
      if (row.note !== undefined) out.note = row.note;
      if (row.rule !== undefined) out.rule = row.rule;
      if (row.original !== undefined) {
        out.originalEncoding = typeof row.original === 'string' ? 'text' : 'base64';
        out.original = typeof row.original === 'string' ? row.original : bytesToBase64(new Uint8Array(row.original));
      }
      break;
    case 'open':
      out.protocol = row.protocol ?? '';
      out.extensions = row.extensions ?? '';
      break;
    case 'close':
      out.code = row.code;
      out.reason = row.reason ?? '';
      out.wasClean = row.wasClean;
      break;
    case 'error':
      break;
  }
  return out;
}

/**
 * Hands out a `.wsi.json` file piece by piece. Call `start`, then for each connection `connectionStart`, `row`
 * for each of its rows, `connectionEnd`, and finally `end`; the concatenation is the file.
 */
export class WsiWriter {
  private connections = 0;
  private rowsInConnection = 0;

  constructor(
    private readonly info: WsiExportInfo,
    private readonly options: SecretsOption = {},
  ) {}

  start(session: SessionRecord): string {
    const head = JSON.stringify({
      format: WSI_FORMAT,
      version: WSI_VERSION,
      exporter: this.info.exporter,
      exportedAt: this.info.exportedAt,
      scope: this.info.scope,
      session: sessionHeader(session),
    });
    return `${head.slice(0, -1)},\n"connections":[`;
  }

  connectionStart(connection: ConnectionRecord): string {
    const head = JSON.stringify(connectionHeader(connection, this.options));
    this.rowsInConnection = 0;
    return `${this.connections++ === 0 ? '\n' : ',\n'}${head.slice(0, -1)},"rows":[`;
  }

  row(row: FrameRecord): string {
    return `${this.rowsInConnection++ === 0 ? '\n' : ',\n'}${JSON.stringify(wsiRow(row))}`;
  }

  connectionEnd(): string {
    return ']}';
  }

  end(): string {
    return '\n]}\n';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

const KINDS: readonly RowKind[] = ['frame', 'open', 'close', 'error'];
const STATES: readonly ConnectionState[] = ['connecting', 'open', 'closed', 'error'];
const ORIGINS: readonly FrameOrigin[] = ['page', 'inspector', 'simulated'];
const STATUSES: readonly FrameStatus[] = ['sent', 'dropped', 'refused', 'blocked'];

function oneOf<T extends string | number>(value: unknown, allowed: readonly T[], where: string): T {
  if (!allowed.includes(value as T)) {
    throw new FormatError(where, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value) ?? typeOf(value)}`);
  }
  return value as T;
}

export function readWsiRow(value: unknown, where: string): PortableRow {
  const obj = asObject(value, where);
  const seq = required<number>(obj, 'seq', 'integer', where);
  const time = required<number>(obj, 'time', 'number', where);
  required<string>(obj, 'kind', 'string', where);
  const kind = oneOf(obj.kind, KINDS, join(where, 'kind'));
  const row: PortableRow = { seq, time, kind };
  switch (kind) {
    case 'frame': {
      required<string>(obj, 'dir', 'string', where);
      row.dir = oneOf<Direction>(obj.dir, ['send', 'receive'], join(where, 'dir'));
      required<number>(obj, 'opcode', 'integer', where);
      row.opcode = oneOf<Opcode>(obj.opcode, [1, 2], join(where, 'opcode'));
      const data = required<string>(obj, 'data', 'string', where);
      const encoding = optional<string>(obj, 'encoding', 'string', where) ?? (row.opcode === 1 ? 'text' : 'base64');
      if (row.opcode === 1 && encoding !== 'text') throw new FormatError(join(where, 'encoding'), `a text frame (opcode 1) must have encoding "text", got ${JSON.stringify(encoding)}`);
      if (row.opcode === 2 && encoding !== 'base64') throw new FormatError(join(where, 'encoding'), `a binary frame (opcode 2) must have encoding "base64", got ${JSON.stringify(encoding)}`);
      if (encoding === 'base64' && !isBase64(data)) throw new FormatError(join(where, 'data'), 'not valid base64');
      row.encoding = row.opcode === 1 ? 'text' : 'base64';
      row.data = data;
      row.size = payloadSize(row.encoding, data, utf8ByteLength);
      if (optional<boolean>(obj, 'payloadOmitted', 'boolean', where) === true) {
        // The frame's size is all that is left of its payload: trust it, as there is nothing to compute it from.
        if (data !== '') throw new FormatError(join(where, 'data'), 'a frame with payloadOmitted must have empty data');
        const size = required<number>(obj, 'size', 'integer', where);
        if (size < 0) throw new FormatError(join(where, 'size'), `expected a size of 0 or more, got ${size}`);
        row.size = size;
        row.payloadOmitted = true;
      }
      const origin = optional<string>(obj, 'origin', 'string', where);
      row.origin = origin === undefined ? 'page' : oneOf(origin, ORIGINS, join(where, 'origin'));
      const status = optional<string>(obj, 'status', 'string', where);
      row.status = status === undefined ? 'sent' : oneOf(status, STATUSES, join(where, 'status'));
      const note = optional<string>(obj, 'note', 'string', where);
      if (note !== undefined) row.note = note;
      const rule = optional<string>(obj, 'rule', 'string', where);
      if (rule !== undefined) row.rule = rule;
      const original = optional<string>(obj, 'original', 'string', where);
      if (original !== undefined) {
        const originalEncoding = oneOf(optional<string>(obj, 'originalEncoding', 'string', where) ?? row.encoding, ['text', 'base64'] as const, join(where, 'originalEncoding'));
        if (originalEncoding === 'base64' && !isBase64(original)) throw new FormatError(join(where, 'original'), 'not valid base64');
        row.originalEncoding = originalEncoding;
        row.original = original;
      }
      break;
    }
    case 'open':
      row.protocol = optional<string>(obj, 'protocol', 'string', where) ?? '';
      row.extensions = optional<string>(obj, 'extensions', 'string', where) ?? '';
      break;
    case 'close':
      row.code = required<number>(obj, 'code', 'integer', where);
      row.reason = optional<string>(obj, 'reason', 'string', where) ?? '';
      row.wasClean = optional<boolean>(obj, 'wasClean', 'boolean', where) ?? false;
      break;
    case 'error':
      break;
  }
  return row;
}

function readConnection(value: unknown, where: string, pageUrl: string): PortableConnection {
  const obj = asObject(value, where);
  const url = required<string>(obj, 'url', 'string', where);
  const protocolsValue = optional<unknown[]>(obj, 'protocols', 'array', where) ?? [];
  const protocols = protocolsValue.map((p, i) => {
    if (typeof p !== 'string') throw new FormatError(join(join(where, 'protocols'), i), `expected a string, got ${typeOf(p)}`);
    return p;
  });
  const rowsValue = required<unknown[]>(obj, 'rows', 'array', where);
  const rows: PortableRow[] = [];
  let previousSeq = -Infinity;
  for (let i = 0; i < rowsValue.length; i++) {
    const rowWhere = join(join(where, 'rows'), i);
    const row = readWsiRow(rowsValue[i], rowWhere);
    if (row.seq <= previousSeq) throw new FormatError(join(rowWhere, 'seq'), `${row.seq} is not greater than the previous row's seq ${previousSeq}`);
    previousSeq = row.seq;
    rows.push(row);
  }
  const state = optional<string>(obj, 'state', 'string', where);
  const connection: PortableConnection = {
    url,
    protocols,
    protocol: optional<string>(obj, 'protocol', 'string', where) ?? '',
    extensions: optional<string>(obj, 'extensions', 'string', where) ?? '',
    frameUrl: optional<string>(obj, 'frameUrl', 'string', where) ?? pageUrl,
    pageUrl: optional<string>(obj, 'pageUrl', 'string', where) ?? pageUrl,
    startedAt: optional<number>(obj, 'startedAt', 'number', where) ?? rows[0]?.time ?? 0,
    state: state === undefined ? 'closed' : oneOf(state, STATES, join(where, 'state')),
    errored: optional<boolean>(obj, 'errored', 'boolean', where) ?? rows.some((r) => r.kind === 'error'),
    rows,
  };
  const openedAt = optional<number>(obj, 'openedAt', 'number', where);
  const closedAt = optional<number>(obj, 'closedAt', 'number', where);
  const closeCode = optional<number>(obj, 'closeCode', 'integer', where);
  const closeReason = optional<string>(obj, 'closeReason', 'string', where);
  const wasClean = optional<boolean>(obj, 'wasClean', 'boolean', where);
  const initiator = optional<string>(obj, 'initiator', 'string', where);
  if (initiator !== undefined) connection.initiator = oneOf(initiator, ['page', 'replay'] as const, join(where, 'initiator'));
  if (openedAt !== undefined) connection.openedAt = openedAt;
  if (closedAt !== undefined) connection.closedAt = closedAt;
  if (closeCode !== undefined) connection.closeCode = closeCode;
  if (closeReason !== undefined) connection.closeReason = closeReason;
  if (wasClean !== undefined) connection.wasClean = wasClean;
  const source = optional<string>(obj, 'source', 'string', where);
  if (source !== undefined) connection.source = oneOf(source, ['devtools'] as const, join(where, 'source'));
  const initiatorUrl = optional<string>(obj, 'initiatorUrl', 'string', where);
  if (initiatorUrl !== undefined) connection.initiatorUrl = initiatorUrl;
  if (obj.pageGone !== undefined) {
    const gone = obj.pageGone as Record<string, unknown>;
    const at = join(where, 'pageGone');
    if (typeof gone !== 'object' || gone === null) throw new FormatError(at, 'expected an object');
    const reason = oneOf(required<string>(gone, 'reason', 'string', at), ['page-closed', 'crashed'] as const, join(at, 'reason'));
    connection.pageGone = { reason, time: required<number>(gone, 'time', 'number', at) };
  }
  const handshake = readHandshake(obj.handshake, join(where, 'handshake'));
  if (handshake) connection.handshake = handshake;
  return connection;
}

/** True when the parsed JSON says it is our format (any version). */
export function looksLikeWsi(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { format?: unknown }).format === WSI_FORMAT;
}

/** Validates a parsed `.wsi.json` file completely and returns its content. Throws FormatError. */
export function readWsi(json: unknown): PortableSession {
  const root = asObject(json, '');
  if (root.format !== WSI_FORMAT) throw new FormatError('format', `expected "${WSI_FORMAT}", got ${JSON.stringify(root.format) ?? 'nothing'}`);
  if (!('version' in root)) throw new FormatError('', "missing 'version'");
  if (root.version !== WSI_VERSION) {
    throw new FormatError('version', `version ${JSON.stringify(root.version)} is not supported; this build reads version ${WSI_VERSION}`);
  }
  const session = asObject(required(root, 'session', 'object', ''), 'session');
  const pageUrl = optional<string>(session, 'pageUrl', 'string', 'session') ?? '';
  const connectionsValue = required<unknown[]>(root, 'connections', 'array', '');
  const connections = connectionsValue.map((c, i) => readConnection(c, join('connections', i), pageUrl));
  const firstTime = connections.reduce((min, c) => Math.min(min, c.startedAt), Infinity);
  return {
    format: 'wsi',
    pageUrl,
    title: optional<string>(session, 'title', 'string', 'session') ?? '',
    startedAt: optional<number>(session, 'startedAt', 'number', 'session') ?? (Number.isFinite(firstTime) ? firstTime : 0),
    connections,
    warnings: [],
  };
}
