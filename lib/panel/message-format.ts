/**
 * How the panel writes rows and connections as text: one-line previews, sizes, times, durations and the words
 * for control rows. Pure, so every column reads the same and is unit-tested.
 */
import type { ConnectionRecord, FrameRecord } from '../shared/records';

export const PREVIEW_CHARS = 200;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The grid's one-line preview: control rows described, text flattened, binary as its first bytes in hex. */
export function rowPreview(row: FrameRecord): string {
  switch (row.kind) {
    case 'open':
      return row.protocol ? `Connection opened (protocol ${row.protocol})` : 'Connection opened';
    case 'close':
      return `Connection closed: ${closeText(row.code, row.reason, row.wasClean)}`;
    case 'error':
      return 'Connection error';
    case 'frame': {
      if (typeof row.data === 'string') {
        const head = row.data.length > PREVIEW_CHARS ? row.data.slice(0, PREVIEW_CHARS) + '…' : row.data;
        return head.replace(/[\r\n\t]+/g, ' ');
      }
      if (row.data instanceof ArrayBuffer) {
        const bytes = new Uint8Array(row.data, 0, Math.min(row.data.byteLength, 24));
        let hex = '';
        for (let i = 0; i < bytes.length; i++) hex += (i ? ' ' : '') + HEX[bytes[i]];
        return `Binary ${formatBytes(row.data.byteLength)}: ${hex}${row.data.byteLength > bytes.length ? ' …' : ''}`;
      }
      // A row stored without its payload (the session past its cap) says so rather than showing nothing.
      return row.note ?? '';
    }
  }
}

export function closeText(code: number | undefined, reason: string | undefined, wasClean?: boolean): string {
  const parts = [`code ${code ?? '?'}`];
  if (reason) parts.push(`reason "${reason}"`);
  if (wasClean === false) parts.push('not clean');
  return parts.join(', ');
}

/** The grid's type column. */
export function rowType(row: FrameRecord): string {
  if (row.kind !== 'frame') return row.kind;
  return row.opcode === 2 ? 'binary' : 'text';
}

/** Direction arrow and its accessible word. */
export function rowDirection(row: FrameRecord): { symbol: string; label: string } {
  if (row.kind !== 'frame') return { symbol: '•', label: 'event' };
  return row.dir === 'send' ? { symbol: '↑', label: 'sent' } : { symbol: '↓', label: 'received' };
}

/** Markers for rows that are not plain page traffic (inspector-sent, simulated, dropped, refused). */
export function rowMarks(row: FrameRecord): string[] {
  const marks: string[] = [];
  if (row.origin === 'inspector') marks.push('sent by inspector');
  if (row.origin === 'simulated') marks.push('simulated');
  if (row.status === 'dropped') marks.push('dropped');
  if (row.status === 'refused') marks.push('refused');
  // Intercept rules: what a rule (or an edit at a breakpoint) did to the frame, with the rule's name.
  if (row.status === 'blocked') marks.push(row.rule ? `blocked: ${row.rule}` : 'blocked');
  else if (row.original !== undefined) marks.push(row.rule ? `modified: ${row.rule}` : 'modified');
  return marks;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trim(bytes / 1024)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${trim(bytes / (1024 * 1024))} MB`;
  return `${trim(bytes / (1024 * 1024 * 1024))} GB`;
}

function trim(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/**
 * How the grid says a row's time: the local clock (14:03:07.123), the offset from its connection's start
 * (+1.234 s), ISO 8601 in UTC (2026-11-25T14:03:07.123Z) or milliseconds since the epoch (1764079387123).
 */
export type TimeMode = 'absolute' | 'relative' | 'iso' | 'epoch';

export const TIME_MODES: readonly TimeMode[] = ['absolute', 'relative', 'iso', 'epoch'];

export function isTimeMode(value: unknown): value is TimeMode {
  return TIME_MODES.includes(value as TimeMode);
}

/** Wall-clock time of day with milliseconds, local time: 14:03:07.123. */
export function formatClock(time: number): string {
  const d = new Date(time);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Offset from a start, in seconds with millisecond precision: +1.234 s. */
export function formatRelative(time: number, start: number): string {
  const seconds = (time - start) / 1000;
  return `${seconds < 0 ? '−' : '+'}${Math.abs(seconds).toFixed(3)} s`;
}

/** A row's time as `mode` says; relative without a known start falls back to the clock. */
export function formatRowTime(time: number, mode: TimeMode, start: number | undefined): string {
  if (mode === 'relative' && start !== undefined) return formatRelative(time, start);
  if (mode === 'iso') return new Date(Math.floor(time)).toISOString();
  if (mode === 'epoch') return String(Math.floor(time));
  return formatClock(time);
}

/** Exact timestamp for the detail pane: ISO date with microseconds from the sub-millisecond time. */
export function formatExactTime(time: number): string {
  const whole = Math.floor(time);
  const micros = Math.round((time - whole) * 1000);
  const iso = new Date(whole).toISOString(); // 2026-11-25T20:30:00.123Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

export function formatDuration(ms: number): string {
  // A duration never reads negative (clocks of the page and the panel, or a stale "now", may disagree a little).
  if (!(ms > 0)) return '0 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

/** The state column of the connections list (a connection its page took away says so, with the time). */
export function connectionStateText(c: ConnectionRecord): string {
  if (c.pageGone) return pageGoneText(c.pageGone);
  // A refused upgrade says its status, as DevTools' Status column does (the page itself only sees an error).
  const status = c.handshake?.status ?? 0;
  if (status >= 200 && status !== 101 && c.state !== 'open') return `refused: ${status}${c.handshake?.statusText ? ` ${c.handshake.statusText}` : ''}`;
  switch (c.state) {
    case 'connecting':
      return 'connecting';
    case 'open':
      return 'open';
    case 'error':
      return 'error';
    case 'closed':
      return `closed ${c.closeCode ?? ''}${c.closeReason ? ` "${c.closeReason}"` : ''}${c.errored ? ' after error' : ''}`.trim();
  }
}

/**
 * A connection whose page went away while it was open (the store ended it: #10 §1): "page closed at
 * 14:03:07.123", or for a renderer crash a warning that its unflushed tail may be missing.
 */
export function pageGoneText(gone: NonNullable<ConnectionRecord['pageGone']>): string {
  const at = formatClock(gone.time);
  return gone.reason === 'crashed' ? `page crashed at ${at} — frames not yet flushed may be missing` : `page closed at ${at}`;
}

/**
 * How long a connection lasted (or has lasted so far, measured against `now`). Never negative: a connection
 * that started after the panel's last tick of `now` (a replay just opened) has lasted 0 ms so far (#23).
 */
export function connectionDuration(c: ConnectionRecord, now: number): number {
  return Math.max(0, (c.closedAt ?? Math.max(now, c.startedAt)) - c.startedAt);
}

/**
 * A message row's accessible name: its cells as words, separated, so a screen reader never runs a mark into the
 * payload ("sent by inspectoract1-…", #23). `connection` is the "#n" column when every connection is shown.
 */
export function rowAccessibleName(row: FrameRecord, parts: { time: string; connection?: string; summary?: string }): string {
  const words = [rowDirection(row).label];
  if (parts.connection) words.push(`connection ${parts.connection}`);
  words.push(parts.time);
  if (row.kind === 'frame') words.push(formatBytes(row.size));
  words.push(rowType(row));
  if (parts.summary) words.push(parts.summary);
  words.push(...rowMarks(row));
  const preview = rowPreview(row);
  return `${words.join(', ')}${preview ? `: ${preview}` : ''}`;
}

/** A connection option's accessible name: number, "replay", URL, state, counts and times, each apart (#23). */
export function connectionAccessibleName(n: number, c: ConnectionRecord, now: number): string {
  const counts = `${c.sentCount} sent (${formatBytes(c.sentBytes)}), ${c.receivedCount} received (${formatBytes(c.receivedBytes)})`;
  const timing = `started ${formatClock(c.startedAt)}, ${formatDuration(connectionDuration(c, now))}${c.protocol ? `, subprotocol ${c.protocol}` : ''}`;
  return `#${n}${c.initiator === 'replay' ? ', replay,' : ''} ${c.url || '(unknown URL)'} — ${connectionStateText(c)}, ${counts}, ${timing}`;
}

/**
 * "Copy as JSON": the message as one JSON object. A JSON text payload is embedded as parsed JSON, other text as
 * a string, binary as base64 (with `encoding` saying so); control rows carry their own fields.
 */
export function messageAsJson(row: FrameRecord, base64: (bytes: Uint8Array) => string, connectionUrl?: string): string {
  const out: Record<string, unknown> = { kind: row.kind, time: formatExactTime(row.time), seq: row.seq };
  if (connectionUrl !== undefined) out.url = connectionUrl;
  if (row.kind === 'frame') {
    out.direction = row.dir === 'send' ? 'sent' : 'received';
    out.type = row.opcode === 2 ? 'binary' : 'text';
    out.size = row.size;
    if (typeof row.data === 'string') {
      let parsed: unknown = row.data;
      const first = row.data.trimStart()[0];
      if (first === '{' || first === '[') {
        try {
          parsed = JSON.parse(row.data);
          out.encoding = 'json';
        } catch {
          parsed = row.data;
        }
      }
      out.encoding ??= 'text';
      out.data = parsed;
    } else if (row.data instanceof ArrayBuffer) {
      out.encoding = 'base64';
      out.data = base64(new Uint8Array(row.data));
    }
    if (row.origin && row.origin !== 'page') out.origin = row.origin;
    if (row.status && row.status !== 'sent') out.status = row.status;
    if (row.note) out.note = row.note;
  } else if (row.kind === 'close') {
    Object.assign(out, { code: row.code, reason: row.reason, wasClean: row.wasClean });
  } else if (row.kind === 'open') {
    Object.assign(out, { protocol: row.protocol, extensions: row.extensions });
  }
  return JSON.stringify(out, null, 2);
}
