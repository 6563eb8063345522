/** Page hook ⇄ relay: the messages on the private MessagePort the hook hands over at document_start. */
import type { CompiledRule, ConnectionInitiator, Direction, FrameOrigin, FrameStatus, NAMESPACE, Opcode } from './vocabulary';


export interface PageConnectEvent {
  k: 'connect';
  socketId: string;
  url: string;
  protocols: string[];
  frameUrl: string;
  time: number;
  initiator?: ConnectionInitiator;
}
export interface PageOpenEvent {
  k: 'open';
  socketId: string;
  seq: number;
  time: number;
  protocol: string;
  extensions: string;
}
export interface PageFrameEvent {
  k: 'frame';
  socketId: string;
  seq: number;
  time: number;
  dir: Direction;
  /** Text as a string; binary copied at the moment of send/receive (ArrayBuffer) or the immutable Blob. */
  data: string | ArrayBuffer | Blob;
  origin: FrameOrigin;
  status: FrameStatus;
  note?: string;
  /** Set when a rule or an edited breakpoint changed the payload: what it was before. */
  original?: string | ArrayBuffer;
  /** The name of the rule that held, changed or blocked it. */
  rule?: string;
  /**
   * A large text frame: `data` is '' and the text follows this message in this many PageTextPieceMessages, so
   * that the relay never receives (and deserializes, in one task) all of a 16 MiB string at once.
   */
  pieces?: number;
  /**
   * A large binary frame copied into a reused buffer larger than it: only the first `byteLength` bytes of `data`
   * are the payload. The relay hands the buffer back ('spare-buffer') once it has made the frame's Blob.
   */
  byteLength?: number;
}
export interface PageErrorEvent {
  k: 'error';
  socketId: string;
  seq: number;
  time: number;
}
export interface PageCloseEvent {
  k: 'close';
  socketId: string;
  seq: number;
  time: number;
  code: number;
  reason: string;
  wasClean: boolean;
}
export type PageEvent = PageConnectEvent | PageOpenEvent | PageFrameEvent | PageErrorEvent | PageCloseEvent;

/**
 * A batch of page events. Plain frames (no note, rule or original, at most PLAIN_PAYLOAD_MAX) are rows of
 * numbers plus their text or bytes: cloning thousands of small objects costs far more than a few arrays and one string
 * (see lib/shared/packed-batch.ts, which uses the same row layout for the runtime port). Every other event is a row that
 * points into `events`.
 */
export interface PageEventsMessage {
  ns: typeof NAMESPACE;
  type: 'page-events';
  /** Socket ids the rows refer to by index. */
  ids: string[];
  /**
   * PACKED_ROW_WIDTH numbers per event, in order: [frame code (frameCodeOf), socket index, seq, time, payload
   * length], or [PACKED_EXTRA, index into `events`, 0, 0, 0].
   */
  rows: Float64Array;
  /** The texts of the plain text rows (opcode 1), back to back. */
  text: string;
  /** The bytes of the plain binary rows (opcode 2), back to back from its start; transferred, and often longer. */
  binary?: ArrayBuffer;
  events: PageEvent[];
}

export const PACKED_ROW_WIDTH = 5;
/** Row code of an event that travels whole (see PageEventsMessage and lib/shared/packed-batch.ts). */
export const PACKED_EXTRA = -1;
/** Longer payloads (UTF-16 units of text, bytes of binary) travel whole, so that the relay can cut them into parts. */
export const PLAIN_PAYLOAD_MAX = 1 << 19;

/**
 * A frame's direction, opcode, origin and status in one small integer:
 * receive | binary << 1 | binary << 2 | origin << 3 (page 0, inspector 1, simulated 2) | status << 5 (sent 0,
 * dropped 1, refused 2, blocked 3). Bit 2 repeats bit 1 (it once told an encoding apart, and a row's payload is
 * text exactly when its opcode is 1): kept so the layout, and every batch in flight, stays the same. Plain
 * comparisons only: the page hook calls it, and the page may have replaced Array.prototype methods.
 */
export function frameCodeOf(dir: Direction, opcode: Opcode, origin: FrameOrigin, status: FrameStatus): number {
  return (
    (dir === 'receive' ? 1 : 0) |
    (opcode === 2 ? 6 : 0) |
    (origin === 'inspector' ? 8 : origin === 'simulated' ? 16 : 0) |
    (status === 'dropped' ? 32 : status === 'refused' ? 64 : status === 'blocked' ? 96 : 0)
  );
}
export interface PageCommandResultMessage {
  ns: typeof NAMESPACE;
  type: 'command-result';
  requestId: string;
  ok: boolean;
  error?: string;
}
/** Things the page hook tells the panel about, outside the frame stream. */
export type PageNotice<Payload = string | ArrayBuffer> =
  | { kind: 'held'; holdId: string; connectionId: string; dir: Direction; data: Payload; rule: string; time: number }
  | { kind: 'released'; holdId: string; connectionId: string; outcome: 'forwarded' | 'edited' | 'dropped' | 'timeout' | 'closed' }
  | {
      kind: 'replay-progress';
      replayId: string;
      connectionId?: string;
      sent: number;
      total: number;
      state: 'connecting' | 'running' | 'waiting' | 'done' | 'failed' | 'stopped';
      error?: string;
    };
export interface PageNoticeMessage {
  ns: typeof NAMESPACE;
  type: 'page-notice';
  notice: PageNotice;
}
/**
 * One piece of a large text frame (see PageFrameEvent.pieces), in order, right after its page-events message. The
 * hook makes the piece a Blob (UTF-8) itself: the relay then receives a handle, not a 256 Ki-unit string to
 * deserialize onto the page's heap (whose garbage brought major GCs into the relay's tasks).
 */
export interface PageTextPieceMessage {
  ns: typeof NAMESPACE;
  type: 'page-text-piece';
  piece: Blob;
}
/** UTF-16 units per piece of a large text frame; a piece never ends inside a surrogate pair. */
export const TEXT_PIECE_MAX = 1 << 18;

/**
 * Every message the hook gives its relay is numbered (`n`, from 1 per port) when it goes: most go on the private
 * port, but sparse traffic and the last words are handed over synchronously (LastWords) and may overtake what is
 * still on the port. The relay takes them in this order (lib/relay/page-order.ts).
 */
export interface HookPostNumber {
  n?: number;
}
export type PageToRelayMessage = (PageEventsMessage | PageCommandResultMessage | PageNoticeMessage | PageTextPieceMessage) & HookPostNumber;

export interface ReplayStep<Payload = string | ArrayBuffer> {
  data: Payload;
  /** Wait this long after the previous step (or the open) before sending. */
  delayMs: number;
}
export interface ReplayWaitForReply {
  /** Empty: any received message; otherwise substring or regex (see `regex`). */
  pattern: string;
  regex: boolean;
  timeoutMs: number;
}

/** Commands the relay hands to the page hook (act on live sockets). */
export type PageCommand =
  | { kind: 'send'; socketId: string; data: string | ArrayBuffer }
  | { kind: 'simulate-receive'; socketId: string; data: string | ArrayBuffer }
  | { kind: 'close'; socketId: string; code?: number; reason?: string }
  | { kind: 'replay'; replayId: string; url: string; protocols: string[]; steps: ReplayStep[]; waitForReply?: ReplayWaitForReply }
  | { kind: 'replay-stop'; replayId: string }
  | { kind: 'release'; holdId: string; action: 'forward' | 'drop'; data?: string | ArrayBuffer }
  /** Rules compiled by the relay (RegExp objects survive structured clone), applied synchronously in the page. */
  | { kind: 'set-rules'; rules: CompiledRule[]; holdTimeoutMs: number };

export type RelayToPageMessage =
  | { ns: typeof NAMESPACE; type: 'command'; requestId: string; command: PageCommand }
  | { ns: typeof NAMESPACE; type: 'stop' }
  /**
   * A batch's `binary` buffer, done with and handed back (transferred) for the hook's next batches: memory already
   * touched costs the page a fraction of fresh memory (page faults: ~3 ns a byte on the test machine).
   */
  | { ns: typeof NAMESPACE; type: 'spare-buffer'; buffer: ArrayBuffer }
  /** The token of the synchronous last hand-over (see LastWords), sent once, right after the port is taken. */
  | { ns: typeof NAMESPACE; type: 'last-words-token'; token: string };

/**
 * The synchronous hand-over. A MessagePort message is delivered as a task, and a document that goes
 * (navigation, tab closed) is gone before that task runs: what the hook posts on pagehide never reached the relay.
 * So on pagehide and freeze (and while the page is leaving) the hook dispatches what it holds as a MessageEvent of
 * type HANDOVER_EVENT_TYPE ('load') on `document`, which the relay's capture listener there receives synchronously:
 * `data` is a LastWords, `origin` the token the relay gave the hook over the private port ('last-words-token'), so
 * that an event without it (the page's own) is never read, and one with it never reaches a page listener (the relay
 * stops it; a load event at a document never reaches window). The relay cancels it to say it took it.
 */
export interface LastWords {
  /**
   * What the page is doing: going (pagehide) or being frozen (freeze; it may resume); or 'at-once': sparse traffic
   * (the first batches after a quiet spell), handed over in the task that recorded it, so that a page that closes
   * its tab right after a reply still gets it to the relay (in Chromium, what a closing tab's relay sends in
   * pagehide is dropped, and a port message posted just before may arrive too late).
   */
  reason: LeaveReason | 'at-once';
  /** The messages the port would have carried, in order: the batch, then its text pieces. */
  messages: PageToRelayMessage[];
}
export type LeaveReason = 'pagehide' | 'freeze';

