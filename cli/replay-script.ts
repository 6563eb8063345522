/**
 * What a command-line replay sends and expects: which connection of a file to replay, its outgoing frames timed
 * from the recorded open by the replay-timing plan the panel uses too (lib/shared/replay-plan.ts), and the
 * replies to expect. Pure: the I/O is replay.ts.
 */
import type { PortableConnection, PortableRow, PortableSession } from '../lib/io/formats/model';
import { timedWaitMs, type ReplayTiming } from '../lib/shared/replay-plan';
import { base64ToBytes } from '../lib/shared/wire';

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

export interface ReplayScript {
  connection: PortableConnection;
  /** 1-based position of the connection in the file. */
  index: number;
  url: string;
  protocols: string[];
  timing: ReplayTiming;
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

/** `--timing`: original (the recorded gaps), none (everything at once) or a fixed gap in milliseconds. */
export function parseTiming(value: string): ReplayTiming {
  if (value === 'original') return { mode: 'original' };
  if (value === 'none') return { mode: 'fast' };
  if (/^\d+(\.\d+)?$/.test(value)) return { mode: 'fixed', delayMs: Number(value) };
  throw new UsageError(`--timing ${JSON.stringify(value)}: expected original, none or a number of milliseconds`);
}

export function replayScript(session: PortableSession, options: { connection?: string; url?: string; timing: ReplayTiming }): ReplayScript {
  const { connection, index, notes } = chooseConnection(session, options.connection);
  const url = options.url ?? connection.url;
  if (!url) throw new UsageError('the recorded connection has no URL; give one with --url');
  const rows = connection.rows;
  // Times are measured from the recorded open (the moment sending became possible), else from the first frame.
  const open = rows.find((r) => r.kind === 'open');
  const firstFrame = rows.find((r) => r.kind === 'frame');
  const origin = open?.time ?? firstFrame?.time ?? connection.startedAt;
  const sent = rows.filter(isSent);
  // Each send's offset from the open, not from the previous send: replay.ts schedules recorded gaps without drift.
  const sends: PlannedSend[] = sent.map((row, i) => ({ ...toMessage(row), at: timedWaitMs(Math.max(0, row.time - origin), i, options.timing) }));
  const received = rows.filter(isReceived);
  // Zero steps: only recorded time counts here (a fixed gap or none times the sends alone).
  const lastReplyAt = received.length > 0 ? timedWaitMs(Math.max(0, received[received.length - 1].time - origin), 0, options.timing) : 0;
  return { connection, index, url, protocols: connection.protocols, timing: options.timing, sends, expected: received.map(toMessage), lastReplyAt, notes };
}
