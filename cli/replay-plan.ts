/**
 * The pure half of the command-line replayer: which connection of a file to replay, what to send and when, what
 * replies to expect, how to print a payload, and how to explain replies that differ. No I/O here (see replay.ts).
 */
import type { PortableConnection, PortableRow, PortableSession } from '../lib/io/formats/model';
import { base64ToBytes } from '../lib/shared/wire';

export type Timing = { kind: 'original' } | { kind: 'none' } | { kind: 'fixed'; ms: number };

export interface ReplayMessage {
  /** 1: text, 2: binary. */
  opcode: 1 | 2;
  /** Text for opcode 1, bytes for opcode 2. */
  text?: string;
  bytes?: Uint8Array;
}

export interface PlannedSend extends ReplayMessage {
  /** Milliseconds after the connection opened. */
  at: number;
}

export interface ReplayPlan {
  connection: PortableConnection;
  /** 1-based position of the connection in the file. */
  index: number;
  url: string;
  protocols: string[];
  timing: Timing;
  sends: PlannedSend[];
  /** Recorded incoming frames, in order: what `--expect` compares against. */
  expected: ReplayMessage[];
  /** With original timing: when the last recorded reply came, in ms after open (to keep listening that long). */
  lastReplyAt: number;
  /** Notes for the user (e.g. which connection was chosen). */
  notes: string[];
}

export class UsageError extends Error {}

function toMessage(row: PortableRow): ReplayMessage {
  if (row.opcode === 2) return { opcode: 2, bytes: base64ToBytes(row.data ?? '') };
  return { opcode: 1, text: row.data ?? '' };
}

/** Frames that went out on the network (refused and dropped ones never did). */
function isSent(row: PortableRow): boolean {
  return row.kind === 'frame' && row.dir === 'send' && (row.status ?? 'sent') === 'sent';
}

/** Frames the server really sent (simulated ones were made up in the inspector; blocked ones came, the page just never saw them). */
function isReceived(row: PortableRow): boolean {
  return row.kind === 'frame' && row.dir === 'receive' && row.origin !== 'simulated';
}

export function chooseConnection(session: PortableSession, selector: string | undefined): { connection: PortableConnection; index: number; notes: string[] } {
  const list = session.connections;
  const describe = () => list.map((c, i) => `  ${i + 1}) ${c.url} (${c.rows.filter(isSent).length} sent, ${c.rows.filter(isReceived).length} received)`).join('\n');
  if (selector !== undefined) {
    if (/^\d+$/.test(selector)) {
      const n = Number(selector);
      if (n < 1 || n > list.length) throw new UsageError(`--connection ${selector}: the file has ${list.length} connection${list.length === 1 ? '' : 's'}:\n${describe()}`);
      return { connection: list[n - 1], index: n, notes: [] };
    }
    const matches = list.map((c, i) => [c, i] as const).filter(([c]) => c.url.includes(selector));
    if (matches.length === 0) throw new UsageError(`--connection ${JSON.stringify(selector)}: no connection URL contains it; the file has:\n${describe()}`);
    const notes = matches.length > 1 ? [`${matches.length} connections match ${JSON.stringify(selector)}; replaying the first (#${matches[0][1] + 1})`] : [];
    return { connection: matches[0][0], index: matches[0][1] + 1, notes };
  }
  const withSends = list.findIndex((c) => c.rows.some(isSent));
  const index = withSends === -1 ? 0 : withSends;
  const notes = list.length > 1 ? [`the file has ${list.length} connections; replaying #${index + 1} (${list[index].url}); choose another with --connection:\n${describe()}`] : [];
  return { connection: list[index], index: index + 1, notes };
}

export function parseTiming(value: string): Timing {
  if (value === 'original') return { kind: 'original' };
  if (value === 'none') return { kind: 'none' };
  if (/^\d+(\.\d+)?$/.test(value)) return { kind: 'fixed', ms: Number(value) };
  throw new UsageError(`--timing ${JSON.stringify(value)}: expected original, none or a number of milliseconds`);
}

export function planReplay(session: PortableSession, options: { connection?: string; url?: string; timing: Timing }): ReplayPlan {
  const { connection, index, notes } = chooseConnection(session, options.connection);
  const url = options.url ?? connection.url;
  if (!url) throw new UsageError('the recorded connection has no URL; give one with --url');
  const rows = connection.rows;
  // Times are measured from the recorded open (the moment sending became possible), else from the first frame.
  const open = rows.find((r) => r.kind === 'open');
  const firstFrame = rows.find((r) => r.kind === 'frame');
  const origin = open?.time ?? firstFrame?.time ?? connection.startedAt;
  const sent = rows.filter(isSent);
  const sends: PlannedSend[] = sent.map((row, i) => {
    let at = 0;
    if (options.timing.kind === 'original') at = Math.max(0, row.time - origin);
    else if (options.timing.kind === 'fixed') at = i * options.timing.ms;
    return { ...toMessage(row), at };
  });
  const received = rows.filter(isReceived);
  const lastReplyAt = options.timing.kind === 'original' && received.length > 0 ? Math.max(0, received[received.length - 1].time - origin) : 0;
  return { connection, index, url, protocols: connection.protocols, timing: options.timing, sends, expected: received.map(toMessage), lastReplyAt, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

export function hexDump(bytes: Uint8Array, indent = ''): string {
  if (bytes.length === 0) return `${indent}(empty)`;
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const slice = bytes.subarray(offset, offset + 16);
    const hex = [...slice].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...slice].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${indent}${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** Control characters (and the escape of terminal sequences) are shown escaped: a server cannot drive the terminal. */
function safeText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A payload for the terminal: JSON pretty-printed, other text as it is, binary as a hex dump. */
export function renderPayload(message: ReplayMessage, indent = '  '): string {
  if (message.opcode === 2) return hexDump(message.bytes ?? new Uint8Array(0), indent);
  const text = message.text ?? '';
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
    try {
      return safeText(JSON.stringify(JSON.parse(trimmed), null, 2)).split('\n').map((l) => indent + l).join('\n');
    } catch {
      // not JSON after all: print as text
    }
  }
  return safeText(text).split('\n').map((l) => indent + l).join('\n');
}

export function byteLength(message: ReplayMessage): number {
  return message.opcode === 2 ? (message.bytes?.length ?? 0) : Buffer.byteLength(message.text ?? '');
}

function short(message: ReplayMessage): string {
  if (message.opcode === 2) {
    const bytes = message.bytes ?? new Uint8Array(0);
    const head = [...bytes.subarray(0, 32)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return `binary ${bytes.length} B: ${head}${bytes.length > 32 ? ' …' : ''}`;
  }
  const text = message.text ?? '';
  const quoted = safeText(JSON.stringify(text.length > 200 ? text.slice(0, 200) : text));
  return `text ${Buffer.byteLength(text)} B: ${quoted}${text.length > 200 ? ' …' : ''}`;
}

function sameMessage(a: ReplayMessage, b: ReplayMessage): boolean {
  if (a.opcode !== b.opcode) return false;
  if (a.opcode === 1) return a.text === b.text;
  const x = a.bytes ?? new Uint8Array(0);
  const y = b.bytes ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function firstDifference(a: ReplayMessage, b: ReplayMessage): string {
  if (a.opcode !== b.opcode) return `expected a ${a.opcode === 1 ? 'text' : 'binary'} frame, got a ${b.opcode === 1 ? 'text' : 'binary'} frame`;
  if (a.opcode === 1) {
    const x = a.text ?? '';
    const y = b.text ?? '';
    let i = 0;
    while (i < x.length && i < y.length && x[i] === y[i]) i++;
    return `first difference at character ${i + 1}`;
  }
  const x = a.bytes ?? new Uint8Array(0);
  const y = b.bytes ?? new Uint8Array(0);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return `first difference at byte ${i} (0x${i.toString(16)})`;
}

/** Compares replies with the recording; returns null when they match, else a readable report. */
export function diffReplies(expected: ReplayMessage[], actual: ReplayMessage[]): string | null {
  const lines: string[] = [];
  let differing = 0;
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e && a && sameMessage(e, a)) continue;
    differing++;
    if (e && a) {
      lines.push(`  reply ${i + 1} differs (${firstDifference(e, a)}):`, `    expected ${short(e)}`, `    actual   ${short(a)}`);
    } else if (e) {
      lines.push(`  reply ${i + 1} is missing:`, `    expected ${short(e)}`);
    } else {
      lines.push(`  reply ${i + 1} was not in the recording:`, `    actual   ${short(a)}`);
    }
  }
  if (differing === 0) return null;
  return [`${differing} of ${n} replies differ from the recording (expected ${expected.length}, got ${actual.length}):`, ...lines].join('\n');
}
