/**
 * HAR 1.2 with WebSocket messages the way Chrome DevTools writes them ("Export HAR (with content)"): one entry
 * per connection with `"_resourceType": "websocket"`, request/response stubs of the upgrade handshake (GET,
 * status 101), and `"_webSocketMessages": [{ type: "send" | "receive", time: <wall-clock seconds>, opcode: 1 | 2,
 * data: <text for opcode 1, base64 otherwise> }]`. Chrome DevTools' own HAR import shows these messages.
 *
 * A HAR carries only frames that crossed the network: frames the inspector simulated, and frames the browser
 * dropped, refused or blocked by a rule on the way out, are left out (the `.wsi.json` format keeps them). Our entries add one private field,
 * `_wsInspector`, with what HAR has no place for (requested subprotocols, close code and reason, exact times);
 * importing our own HAR restores it, and every other reader ignores it as HAR allows for `_` fields.
 */
import type { ConnectionRecord, FrameRecord, SessionRecord } from '../../shared/records';
import { bytesToBase64, utf8ByteLength } from '../../shared/wire';
import { FormatError, asObject, isBase64, join, optional, required, typeOf } from './errors';
import { exportHandshake, handshakeFromHar, type SecretsOption } from './handshake';
import { connectionFields, copyOptionalConnectionFields, payloadSize, type PortableConnection, type PortableRow, type PortableSession } from './model';

export const HAR_EXTENSION = '.har';

export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Wall-clock seconds since the epoch. */
  time: number;
  opcode: number;
  data: string;
}

interface HarHeader {
  name: string;
  value: string;
}

/** Our private per-entry metadata (see the module comment). */
export type HarInspectorFields = Pick<
  ConnectionRecord,
  'protocols' | 'protocol' | 'extensions' | 'frameUrl' | 'pageUrl' | 'startedAt' | 'openedAt' | 'closedAt' | 'closeCode' | 'closeReason' | 'wasClean' | 'errored'
>;

const PAGE_ID = 'page_1';

function originOf(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? '' : origin;
  } catch {
    return '';
  }
}

function queryString(url: string): HarHeader[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** A HAR entry for one connection, without its messages. */
export function harEntry(c: ConnectionRecord, options: SecretsOption = {}): Record<string, unknown> {
  let requestHeaders: HarHeader[] = [
    { name: 'Host', value: hostOf(c.url) },
    { name: 'Connection', value: 'Upgrade' },
    { name: 'Upgrade', value: 'websocket' },
    { name: 'Sec-WebSocket-Version', value: '13' },
  ];
  const origin = originOf(c.pageUrl);
  if (origin) requestHeaders.push({ name: 'Origin', value: origin });
  if (c.protocols.length > 0) requestHeaders.push({ name: 'Sec-WebSocket-Protocol', value: c.protocols.join(', ') });
  const opened = c.openedAt !== undefined;
  let responseHeaders: HarHeader[] = opened
    ? [
        { name: 'Connection', value: 'Upgrade' },
        { name: 'Upgrade', value: 'websocket' },
      ]
    : [];
  if (opened && c.protocol) responseHeaders.push({ name: 'Sec-WebSocket-Protocol', value: c.protocol });
  if (opened && c.extensions) responseHeaders.push({ name: 'Sec-WebSocket-Extensions', value: c.extensions });
  // The real handshake (DevTools' log, or an imported HAR) replaces the headers made up above.
  const handshake = c.handshake ? exportHandshake(c.handshake, options) : undefined;
  if (handshake) {
    requestHeaders = handshake.requestHeaders;
    responseHeaders = handshake.responseHeaders;
  }
  const status = handshake ? handshake.status : opened ? 101 : 0;
  const statusText = handshake ? handshake.statusText : opened ? 'Switching Protocols' : '';
  // HAR has the url, the state and the handshake elsewhere (request, response); the initiator is ours alone.
  const { url: _url, state: _state, initiator: _initiator, handshake: _handshake, ...fields } = connectionFields(c);
  const inspector: HarInspectorFields = fields;
  const end = c.closedAt ?? c.openedAt ?? c.startedAt;
  return {
    startedDateTime: new Date(c.startedAt).toISOString(),
    time: Math.max(0, end - c.startedAt),
    request: {
      method: handshake?.method ?? 'GET',
      url: c.url,
      httpVersion: 'HTTP/1.1',
      headers: requestHeaders,
      queryString: queryString(c.url),
      cookies: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status,
      statusText,
      httpVersion: opened ? 'HTTP/1.1' : '',
      headers: responseHeaders,
      cookies: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
      _transferSize: 0,
      _error: opened ? null : (handshake?.error ?? 'net::ERR_FAILED'),
    },
    cache: {},
    timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: opened ? Math.max(0, c.openedAt! - c.startedAt) : -1, receive: 0 },
    serverIPAddress: '',
    pageref: PAGE_ID,
    _resourceType: 'websocket',
    _wsInspector: inspector,
  };
}

/** The HAR message for a stored row, or null when HAR has no place for it (control rows, frames not on the wire). */
export function harMessage(row: FrameRecord): HarWebSocketMessage | null {
  if (row.kind !== 'frame') return null;
  if (row.origin === 'simulated' || row.status === 'dropped' || row.status === 'refused') return null;
  // A blocked send never left the page; a blocked receive did come from the server (it was kept from the page).
  if (row.status === 'blocked' && row.dir === 'send') return null;
  // The row's opcode, not the payload's type: a frame over the session's payload cap has no payload at all.
  const text = row.opcode === 1;
  return {
    type: row.dir === 'send' ? 'send' : 'receive',
    time: row.time / 1000,
    opcode: row.opcode ?? (typeof row.data === 'string' ? 1 : 2),
    data: typeof row.data === 'string' ? row.data : text ? '' : bytesToBase64(new Uint8Array(row.data ?? new ArrayBuffer(0))),
  };
}

/** Hands out a HAR file piece by piece; same calling order as WsiWriter. */
export class HarWriter {
  private entries = 0;
  private messagesInEntry = 0;

  constructor(
    private readonly creator: { name: string; version: string },
    private readonly options: SecretsOption = {},
  ) {}

  start(session: SessionRecord): string {
    const head = {
      version: '1.2',
      creator: this.creator,
      pages: [
        {
          startedDateTime: new Date(session.startedAt).toISOString(),
          id: PAGE_ID,
          title: session.pageUrl || session.title,
          pageTimings: { onContentLoad: -1, onLoad: -1 },
        },
      ],
    };
    const text = JSON.stringify(head);
    return `{"log":${text.slice(0, -1)},"entries":[`;
  }

  connectionStart(connection: ConnectionRecord): string {
    const text = JSON.stringify(harEntry(connection, this.options));
    this.messagesInEntry = 0;
    return `${this.entries++ === 0 ? '\n' : ',\n'}${text.slice(0, -1)},"_webSocketMessages":[`;
  }

  row(row: FrameRecord): string {
    const message = harMessage(row);
    if (!message) return '';
    return `${this.messagesInEntry++ === 0 ? '\n' : ',\n'}${JSON.stringify(message)}`;
  }

  connectionEnd(): string {
    return ']}';
  }

  end(): string {
    return '\n]}}\n';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** True when the parsed JSON has the outline of a HAR (`log.entries`). */
export function looksLikeHar(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const log = (json as { log?: unknown }).log;
  return typeof log === 'object' && log !== null && 'entries' in log;
}

function isWebSocketEntry(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  if (typeof e._resourceType === 'string' && e._resourceType.toLowerCase() === 'websocket') return true;
  if (Array.isArray(e._webSocketMessages)) return true;
  const url = (e.request as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' && /^wss?:/i.test(url) && (e.response as { status?: unknown } | undefined)?.status === 101;
}

const CONTROL_OPCODES: Record<number, string> = { 8: 'close', 9: 'ping', 10: 'pong' };

function readMessage(value: unknown, where: string, seq: number): PortableRow | string {
  const obj = asObject(value, where);
  const type = required<string>(obj, 'type', 'string', where);
  if (type !== 'send' && type !== 'receive') throw new FormatError(join(where, 'type'), `expected "send" or "receive", got ${JSON.stringify(type)}`);
  const seconds = required<number>(obj, 'time', 'number', where);
  const opcode = required<number>(obj, 'opcode', 'integer', where);
  const data = required<string>(obj, 'data', 'string', where);
  if (CONTROL_OPCODES[opcode]) return CONTROL_OPCODES[opcode];
  if (opcode !== 1 && opcode !== 2) throw new FormatError(join(where, 'opcode'), `expected 1 (text) or 2 (binary), got ${opcode}`);
  if (opcode === 2 && !isBase64(data)) throw new FormatError(join(where, 'data'), 'a binary message (opcode 2) must be base64, and this is not valid base64');
  const encoding = opcode === 1 ? 'text' : 'base64';
  return {
    seq,
    time: seconds * 1000,
    kind: 'frame',
    dir: type,
    opcode,
    encoding,
    data,
    size: payloadSize(encoding, data, utf8ByteLength),
    origin: 'page',
    status: 'sent',
  };
}

function readInspectorFields(value: unknown, where: string): Partial<HarInspectorFields> {
  if (value === undefined) return {};
  const obj = asObject(value, where);
  const fields: Partial<HarInspectorFields> = {};
  const protocols = optional<unknown[]>(obj, 'protocols', 'array', where);
  if (protocols) fields.protocols = protocols.map((p, i) => {
    if (typeof p !== 'string') throw new FormatError(join(join(where, 'protocols'), i), `expected a string, got ${typeOf(p)}`);
    return p;
  });
  for (const key of ['protocol', 'extensions', 'frameUrl', 'pageUrl', 'closeReason'] as const) {
    const v = optional<string>(obj, key, 'string', where);
    if (v !== undefined) fields[key] = v;
  }
  for (const key of ['startedAt', 'openedAt', 'closedAt'] as const) {
    const v = optional<number>(obj, key, 'number', where);
    if (v !== undefined) fields[key] = v;
  }
  const closeCode = optional<number>(obj, 'closeCode', 'integer', where);
  if (closeCode !== undefined) fields.closeCode = closeCode;
  const wasClean = optional<boolean>(obj, 'wasClean', 'boolean', where);
  if (wasClean !== undefined) fields.wasClean = wasClean;
  const errored = optional<boolean>(obj, 'errored', 'boolean', where);
  if (errored !== undefined) fields.errored = errored;
  return fields;
}

function header(headers: unknown, name: string): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  for (const h of headers) {
    if (typeof h === 'object' && h !== null && typeof h.name === 'string' && h.name.toLowerCase() === name.toLowerCase() && typeof h.value === 'string') return h.value;
  }
  return undefined;
}

function splitList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function readEntry(entry: Record<string, unknown>, where: string, pageUrl: string, warnings: string[]): PortableConnection {
  const request = asObject(required(entry, 'request', 'object', where), join(where, 'request'));
  const url = required<string>(request, 'url', 'string', join(where, 'request'));
  const response = optional<Record<string, unknown>>(entry, 'response', 'object', where) ?? {};
  const extra = readInspectorFields(entry._wsInspector, join(where, '_wsInspector'));
  const messagesValue = optional<unknown[]>(entry, '_webSocketMessages', 'array', where);
  if (!messagesValue) warnings.push(`${where}: a WebSocket entry without '_webSocketMessages' (save the HAR "with content" to keep messages)`);

  const rows: PortableRow[] = [];
  let seq = 0;
  if (extra.openedAt !== undefined) rows.push({ seq: ++seq, time: extra.openedAt, kind: 'open', protocol: extra.protocol ?? '', extensions: extra.extensions ?? '' });
  const skipped = new Map<string, number>();
  (messagesValue ?? []).forEach((m, i) => {
    const row = readMessage(m, join(join(where, '_webSocketMessages'), i), seq + 1);
    if (typeof row === 'string') skipped.set(row, (skipped.get(row) ?? 0) + 1);
    else {
      rows.push(row);
      seq++;
    }
  });
  for (const [kind, count] of skipped) warnings.push(`${where}: ${count} ${kind} control frame${count === 1 ? '' : 's'} left out (only text and binary messages are kept)`);
  if (extra.closedAt !== undefined && extra.closeCode !== undefined) {
    rows.push({ seq: ++seq, time: extra.closedAt, kind: 'close', code: extra.closeCode, reason: extra.closeReason ?? '', wasClean: extra.wasClean ?? false });
  }

  const started = typeof entry.startedDateTime === 'string' ? Date.parse(entry.startedDateTime) : NaN;
  const firstTime = rows[0]?.time;
  const status = typeof response.status === 'number' ? response.status : undefined;
  const connection: PortableConnection = {
    url,
    protocols: extra.protocols ?? splitList(header(request.headers, 'Sec-WebSocket-Protocol')),
    protocol: extra.protocol ?? header(response.headers, 'Sec-WebSocket-Protocol') ?? '',
    extensions: extra.extensions ?? header(response.headers, 'Sec-WebSocket-Extensions') ?? '',
    frameUrl: extra.frameUrl ?? pageUrl,
    pageUrl: extra.pageUrl ?? pageUrl,
    startedAt: extra.startedAt ?? (Number.isFinite(started) ? started : (firstTime ?? 0)),
    state: status === 101 || status === undefined ? 'closed' : 'error',
    errored: extra.errored ?? (status !== undefined && status !== 101),
    rows,
  };
  copyOptionalConnectionFields(extra, connection);
  const handshake = handshakeFromHar(request, response, where);
  if (handshake) connection.handshake = handshake;
  if (handshake && status !== undefined && status !== 101 && status !== 0) connection.state = 'error';
  return connection;
}

/** Validates a parsed HAR and returns its WebSocket connections. Throws FormatError. */
export function readHar(json: unknown): PortableSession {
  const root = asObject(json, '');
  if (!('log' in root)) throw new FormatError('', "not a HAR file: missing 'log'");
  const log = asObject(root.log, 'log');
  const entries = required<unknown[]>(log, 'entries', 'array', 'log');
  const pages = Array.isArray(log.pages) ? log.pages : [];
  const firstPage = (typeof pages[0] === 'object' && pages[0] !== null ? pages[0] : {}) as Record<string, unknown>;
  const pageTitle = typeof firstPage.title === 'string' ? firstPage.title : '';
  const pageUrl = /^[a-z][a-z0-9+.-]*:/i.test(pageTitle) ? pageTitle : '';
  const warnings: string[] = [];
  const connections: PortableConnection[] = [];
  entries.forEach((entry, i) => {
    if (!isWebSocketEntry(entry)) return;
    connections.push(readEntry(entry as Record<string, unknown>, join('log.entries', i), pageUrl, warnings));
  });
  if (connections.length === 0) {
    throw new FormatError('log.entries', `none of the ${entries.length} entries is a WebSocket connection (no entry has "_resourceType": "websocket" or "_webSocketMessages")`);
  }
  const pageStarted = typeof firstPage.startedDateTime === 'string' ? Date.parse(firstPage.startedDateTime) : NaN;
  return {
    format: 'har',
    pageUrl,
    title: pageTitle,
    startedAt: Number.isFinite(pageStarted) ? pageStarted : Math.min(...connections.map((c) => c.startedAt)),
    connections,
    warnings,
  };
}
