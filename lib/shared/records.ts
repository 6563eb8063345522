/**
 * The session, connection and row records as the store keeps them and every reader sees them. Components,
 * formats and the worker import these types from here, not from the IndexedDB module (lib/store/).
 */
import type { ConnectionInitiator, Direction, FrameOrigin, FrameStatus, Opcode } from './protocol/vocabulary';

export type RowKind = 'frame' | 'open' | 'close' | 'error';

export interface SessionRecord {
  id: string;
  /** The tab it was captured in; null for imported sessions. */
  tabId: number | null;
  pageUrl: string;
  title: string;
  startedAt: number;
  lastActivity: number;
  source: 'captured' | 'imported';
  /** For imported sessions: the file name it came from. */
  importedFrom?: string;
  connectionCount: number;
  frameCount: number;
  /**
   * Payload bytes of this session's frames (frames only). Counts every frame, also those whose payload was not
   * stored (see payloadCap): retention counts `bytes - payloadCap.droppedBytes`.
   */
  bytes: number;
  /**
   * Rows stored for this session (frames and open/close/error rows): the next row's `pos`. Kept by every writer in
   * the transaction that writes the rows.
   */
  rowCount: number;
  /**
   * Set once a captured session reached its payload cap while its page was open (retention's maxSessionBytes):
   * its later frames are stored as rows without payloads (each with a note saying so). Absent: every payload stored.
   */
  payloadCap?: SessionPayloadCap;
  /**
   * Frames of this page whose capture could not start: the relay got no port from the page hook (a hand-over a
   * page raced or blocked). Their sockets are not captured; the panel says so rather than showing nothing.
   */
  captureGaps?: CaptureGap[];
}

export interface CaptureGap {
  /** The frame's URL as the relay's own `location` has it (never a page message). */
  frameUrl: string;
  reason: 'hand-over-failed';
  time: number;
}

/** A session past its payload cap: what was kept out. Counts, sizes and totals of those frames are still exact. */
export interface SessionPayloadCap {
  /** The cap it reached, in payload bytes. */
  limit: number;
  /** Time of the first frame whose payload was not stored. */
  reachedAt: number;
  /** Frames stored without their payload. */
  droppedFrames: number;
  /** Payload bytes not stored (the sum of those frames' sizes). */
  droppedBytes: number;
}

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'error';

export interface ConnectionRecord {
  id: string;
  sessionId: string;
  url: string;
  /** Subprotocols the page asked for. */
  protocols: string[];
  /** Negotiated subprotocol and extensions (from the open event). */
  protocol: string;
  extensions: string;
  frameUrl: string;
  pageUrl: string;
  startedAt: number;
  openedAt?: number;
  closedAt?: number;
  state: ConnectionState;
  closeCode?: number;
  closeReason?: string;
  wasClean?: boolean;
  errored: boolean;
  sentCount: number;
  receivedCount: number;
  sentBytes: number;
  receivedBytes: number;
  /** Highest seq stored: rows at or below it are already in the store. */
  lastSeq: number;
  /** 'replay' for connections the inspector opened to replay a sequence. Absent means the page. */
  initiator?: ConnectionInitiator;
  /** Rows stored for this connection: the next row's `cpos`. See SessionRecord.rowCount. */
  rowCount: number;
  /**
   * Set when the connection's document went away while the connection was still open (navigation, tab closed,
   * back/forward cache, renderer crash): the store ends it (state 'closed', closedAt = time, no close code) rather
   * than leaving it "open" forever. 'crashed': the renderer died, so frames not yet flushed may be missing.
   */
  pageGone?: { reason: 'page-closed' | 'crashed'; time: number };
  /**
   * Who saw the connection when the page hook did not: 'devtools' for a socket known only from DevTools' network
   * log (a worker's socket, or one opened before the hook could see it). Absent: the page hook captured it.
   */
  source?: 'devtools';
  /** For source 'devtools': the script that opened it as DevTools reports it (e.g. a worker's script URL). */
  initiatorUrl?: string;
  /** The DevTools network-log entry this connection was matched with (DevtoolsSocket.key): claimed once. */
  devtoolsKey?: string;
  /**
   * The opening handshake as DevTools' network log or the browser's network layer (webRequest, when the user
   * granted it) saw it; absent when neither was watching.
   */
  handshake?: Handshake;
  /** The webRequest request whose handshake this is (lib/store/network-handshakes.ts): claimed once. */
  handshakeRequest?: string;
}

/** One HTTP header as HAR has it (order and repeats kept). */
export interface HeaderEntry {
  name: string;
  value: string;
}

/** A WebSocket's opening handshake: what DevTools' Headers tab shows for it. */
export interface Handshake {
  method: string;
  url: string;
  /** 101 on success; the refused upgrade's status (403, 404, …); 0 when no response came. */
  status: number;
  statusText: string;
  requestHeaders: HeaderEntry[];
  responseHeaders: HeaderEntry[];
  /**
   * Where it came from: DevTools' network log (Chrome), the browser's network layer (webRequest, granted from the
   * panel), or an imported HAR.
   */
  source: 'devtools' | 'network' | 'har';
  /** The handshake's failure as the browser said it (e.g. "Unexpected response code: 403"). */
  error?: string;
}

/** One row as readers see it. */
export interface FrameRecord {
  sessionId: string;
  connectionId: string;
  /** Position in the session (0-based, dense). Set on every row read from the store. */
  pos?: number;
  /** Position in the connection (0-based, dense). Set on every row read from the store. */
  cpos?: number;
  /** Order within the connection, as the page saw it (open, frames, error and close share one sequence). */
  seq: number;
  /** Wall-clock milliseconds since the epoch, sub-millisecond precision. */
  time: number;
  kind: RowKind;
  dir?: Direction;
  opcode?: Opcode;
  /** Text frames: the string; binary frames: the exact bytes. */
  data?: string | ArrayBuffer;
  /** Payload bytes (UTF-8 for text). 0 for control rows. */
  size: number;
  origin?: FrameOrigin;
  status?: FrameStatus;
  note?: string;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  protocol?: string;
  extensions?: string;
  /** When a rule or an edit at a breakpoint changed the payload: what it was before. */
  original?: string | ArrayBuffer;
  /** The rule that held, changed or blocked it. */
  rule?: string;
}
