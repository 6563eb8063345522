/**
 * What copy-as-code works from: a target (URL and subprotocols) and the frames to send, built from the store's
 * records; and what it gives back. The generators are copy-as-code-shell.ts and copy-as-code-scripts.ts; the
 * panel calls copy-as-code.ts, which re-exports these.
 */
import type { ConnectionRecord, FrameRecord } from '../shared/records';
import { toWellFormed } from '../shared/wire';

/** One frame to send: text (opcode 1) or binary (opcode 2). */
export type CodeFrame = { opcode: 1; text: string } | { opcode: 2; bytes: Uint8Array };

export interface CodeTarget {
  url: string;
  /** Subprotocols to ask for, in order (what the page asked for; empty: none). */
  protocols: string[];
}

export type CodeFormat = 'websocat' | 'wscat' | 'browser' | 'node' | 'python' | 'replay';

export interface CodeOptions {
  /** How long the code keeps listening after the last send before it closes (default 2000 ms). */
  waitMs?: number;
  /** `replay`: the exported file's name the command assumes (default `session.wsi.json`). */
  replayFile?: string;
  /** `replay`: the connection's 1-based position in that file; absent: chosen by its URL. */
  replayConnection?: number;
  /** `replay`: the frames are a selection, not the whole connection (the command replays the whole one: it says so). */
  selection?: boolean;
}

export interface CopiedCode {
  format: CodeFormat;
  /** A short name for a menu: "websocat command", "Python (websockets)", … */
  label: string;
  language: 'shell' | 'javascript' | 'python';
  /** The code, ready to paste; what cannot be expressed is said in comments inside it too. */
  code: string;
  /** Plain sentences for the UI: what the code assumes or leaves out. */
  notes: string[];
  /** False when some frames could not be expressed in this format (see notes). */
  complete: boolean;
}

export const DEFAULT_WAIT_MS = 2000;
export const DEFAULT_REPLAY_FILE = 'session.wsi.json';

/** The target of a stored connection: its URL and the subprotocols the page asked for (else the handshake's). */
export function codeTargetFromConnection(connection: Pick<ConnectionRecord, 'url' | 'protocols' | 'handshake'>): CodeTarget {
  let protocols = connection.protocols;
  if (protocols.length === 0 && connection.handshake) {
    const header = connection.handshake.requestHeaders.find((h) => h.name.toLowerCase() === 'sec-websocket-protocol');
    if (header) protocols = header.value.split(',').map((p) => p.trim()).filter(Boolean);
  }
  return { url: connection.url, protocols: [...protocols] };
}

/** True for a frame the page sent that went out on the network (refused and dropped frames never did). */
export function isSentFrame(row: FrameRecord): boolean {
  return row.kind === 'frame' && row.dir === 'send' && (row.status ?? 'sent') === 'sent';
}

/**
 * The frames to send for these rows, in order: frame rows only; rows whose payload was not stored are left out
 * and counted in `missing`. Text is made well-formed as a browser's send() would (lone surrogates → U+FFFD).
 */
export function codeFramesFromRows(rows: readonly FrameRecord[]): { frames: CodeFrame[]; missing: number } {
  const frames: CodeFrame[] = [];
  let missing = 0;
  for (const row of rows) {
    if (row.kind !== 'frame') continue;
    if (row.data === undefined) {
      missing++;
      continue;
    }
    if (typeof row.data === 'string') frames.push({ opcode: 1, text: toWellFormed(row.data) });
    else frames.push({ opcode: 2, bytes: new Uint8Array(row.data.slice(0)) });
  }
  return { frames, missing };
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
