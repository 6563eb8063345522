/**
 * The one message protocol every context speaks: the page hook (MAIN world), the relay (isolated content
 * script), the background service worker and the panel. Each hop has its own union; every message carries the
 * namespace tag so stray messages are ignored, and the two runtime-port hellos carry PROTOCOL_VERSION.
 *
 * Hops and their transports:
 *   page hook  ⇄ relay       private MessagePort (structured clone: ArrayBuffer/Blob travel as they are)
 *   relay      ⇄ background  runtime port "capture", structured clone: capture batches travel packed (a few
 *                             strings and one ArrayBuffer, see lib/shared/packed-batch.ts); elsewhere binary payloads
 *                             travel as base64 (lib/shared/wire.ts)
 *   panel      ⇄ background  runtime port "panel"
 *   background → relay       tabs.sendMessage (BackgroundToFrameMessage): reaches relays with no port open. A
 *                             relay connects only when it has something to say or is woken, so pages without
 *                             WebSockets never wake the service worker.
 * The panel reads stored data straight from IndexedDB (lib/store/frame-store.ts); the background only tells it what
 * changed.
 *
 * This module holds types, a few constants and one tiny function only, so the page hook can import it without
 * weight.
 */

import type { CompiledRule, InterceptRule } from './intercept-rules';
import type { PackedBatch } from './packed-batch';

export const NAMESPACE = 'websocket-inspector';
export const PROTOCOL_VERSION = 1;

export const PORT_CAPTURE = 'wsi-capture';
export const PORT_PANEL = 'wsi-panel';

export type Direction = 'send' | 'receive';
/** WebSocket opcodes we record: 1 text, 2 binary. */
export type Opcode = 1 | 2;

/**
 * Where a frame came from:
 * - `page`: the page sent it or the server sent it (a real frame);
 * - `inspector`: the user sent it from the panel on the page's live socket;
 * - `simulated`: the user delivered it to the page as if the server had sent it (no network frame).
 */
export type FrameOrigin = 'page' | 'inspector' | 'simulated';

/**
 * What happened to a frame the page tried to send:
 * - `sent`: handed to the browser's socket;
 * - `dropped`: the socket was CLOSING or CLOSED, so the browser discarded it silently (as the spec says);
 * - `refused`: `send` threw (e.g. while CONNECTING); `note` holds the error message;
 * - `blocked`: a block rule (or a dropped breakpoint) kept it from the network (sends) or from the page (receives).
 * Received frames are otherwise `sent`.
 */
export type FrameStatus = 'sent' | 'dropped' | 'refused' | 'blocked';

/** Who opened a connection: the page, or the inspector replaying a sequence from the page's context. */
export type ConnectionInitiator = 'page' | 'replay';

// ---------------------------------------------------------------------------------------------------------------
// Page hook → relay (MessagePort). Short keys: these are built on the page's thread for every frame.

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
 * A frame's direction, opcode, encoding, origin and status in one small integer:
 * receive | binary << 1 | base64 << 2 | origin << 3 (page 0, inspector 1, simulated 2) | status << 5 (sent 0,
 * dropped 1, refused 2, blocked 3). Plain comparisons only: the page hook calls it, and the page may have
 * replaced Array.prototype methods.
 */
export function frameCodeOf(dir: Direction, opcode: Opcode, encoding: PayloadEncoding, origin: FrameOrigin, status: FrameStatus): number {
  return (
    (dir === 'receive' ? 1 : 0) |
    (opcode === 2 ? 2 : 0) |
    (encoding === 'base64' ? 4 : 0) |
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

export type PageToRelayMessage = PageEventsMessage | PageCommandResultMessage | PageNoticeMessage | PageTextPieceMessage;

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
  | { ns: typeof NAMESPACE; type: 'spare-buffer'; buffer: ArrayBuffer };

// ---------------------------------------------------------------------------------------------------------------
// Relay ⇄ background (runtime port, JSON): wire events. Binary payloads are base64 strings here.

export type PayloadEncoding = 'text' | 'base64';

export interface WireConnectEvent {
  k: 'connect';
  connectionId: string;
  url: string;
  protocols: string[];
  frameUrl: string;
  time: number;
  initiator?: ConnectionInitiator;
}
export interface WireOpenEvent {
  k: 'open';
  connectionId: string;
  seq: number;
  time: number;
  protocol: string;
  extensions: string;
}
export interface WireFrameEvent {
  k: 'frame';
  connectionId: string;
  seq: number;
  time: number;
  dir: Direction;
  opcode: Opcode;
  encoding: PayloadEncoding;
  payload: string;
  /** Size of the payload in bytes on the wire (UTF-8 bytes for text). */
  size: number;
  origin: FrameOrigin;
  status: FrameStatus;
  note?: string;
  original?: { encoding: PayloadEncoding; payload: string };
  rule?: string;
  /**
   * A binary payload as raw bytes, in place of base64 in `payload` (then ''): only in the background, for frames
   * it unpacked from a capture batch (lib/shared/packed-batch.ts), so that bytes are stored as they came instead of
   * going through base64 and back. Bytes that came in a Blob stay in it (BlobBytes): the store writes the Blob
   * without the background ever reading it. Never sent on a port.
   */
  bytes?: ArrayBuffer | BlobBytes;
}

/** Bytes [start, start + size) of a Blob: a binary payload the background passes on to the store unread. */
export interface BlobBytes {
  blob: Blob;
  start: number;
  size: number;
}
/**
 * A part of a frame too large for one port message (Chrome caps a message at 64 MiB, and one huge message is
 * one long task on the page's thread). Parts of one frame travel in order, each in its own batch; the last part
 * (index === count - 1) carries the frame's metadata in `frame` with an empty payload.
 */
export interface WireFramePartEvent {
  k: 'frame-part';
  connectionId: string;
  seq: number;
  index: number;
  count: number;
  payload: string;
  frame?: WireFrameEvent;
}
export interface WireErrorEvent {
  k: 'error';
  connectionId: string;
  seq: number;
  time: number;
}
export interface WireCloseEvent {
  k: 'close';
  connectionId: string;
  seq: number;
  time: number;
  code: number;
  reason: string;
  wasClean: boolean;
}
export type WireEvent =
  | WireConnectEvent
  | WireOpenEvent
  | WireFrameEvent
  | WireFramePartEvent
  | WireErrorEvent
  | WireCloseEvent;

export type RelayToBackgroundMessage =
  | {
      ns: typeof NAMESPACE;
      type: 'hello';
      protocolVersion: number;
      /** Set by the top frame's relay: one session per tab and page load. Subframes leave it out. */
      sessionId?: string;
      topLevel: boolean;
      pageUrl: string;
      title: string;
      /** When the relay started (its page load), epoch ms: the session starts there, not at the first socket. */
      startedAt?: number;
    }
  | { ns: typeof NAMESPACE; type: 'batch'; batchSeq: number; packed: PackedBatch }
  | { ns: typeof NAMESPACE; type: 'command-result'; requestId: string; ok: boolean; error?: string }
  | { ns: typeof NAMESPACE; type: 'page-notice'; notice: WireNotice };

/** A page notice as it crosses JSON ports: held payloads are encoded. */
export type WireNotice = PageNotice<EncodedPayload>;
export interface EncodedPayload {
  encoding: PayloadEncoding;
  payload: string;
}

export type BackgroundToRelayMessage =
  | { ns: typeof NAMESPACE; type: 'welcome'; protocolVersion: number; sessionId: string }
  /** Every batch up to and including `batchSeq` is durably stored: the relay may forget them. */
  | { ns: typeof NAMESPACE; type: 'ack'; batchSeq: number }
  | { ns: typeof NAMESPACE; type: 'command'; requestId: string; command: WireCommand };

/**
 * The background to a tab's relays without a capture port (tabs.sendMessage), so it reaches relays that never
 * connected or were left idle when the worker stopped:
 * - `wake`: open the capture port (a panel command waits for it); only relays that own the target act on it;
 * - `session-query`: the top frame answers with its PageSessionInfo (a subframe's first hello, the panel after a
 *   navigation), without connecting.
 */
export type BackgroundToFrameMessage = { ns: typeof NAMESPACE; type: 'wake' } | { ns: typeof NAMESPACE; type: 'session-query' };

/** The top frame's page load, as its relay knows it: the tab session it will write into. */
export interface PageSessionInfo {
  sessionId: string;
  pageUrl: string;
  title: string;
  startedAt: number;
}

/** A page command as it crosses the JSON port. */
export type WireCommand =
  | { kind: 'send'; connectionId: string; encoding: PayloadEncoding; payload: string }
  | { kind: 'simulate-receive'; connectionId: string; encoding: PayloadEncoding; payload: string }
  | { kind: 'close'; connectionId: string; code?: number; reason?: string }
  | { kind: 'replay'; replayId: string; url: string; protocols: string[]; steps: ReplayStep<EncodedPayload>[]; waitForReply?: ReplayWaitForReply }
  | { kind: 'replay-stop'; replayId: string }
  | { kind: 'release'; holdId: string; action: 'forward' | 'drop'; data?: EncodedPayload }
  | { kind: 'set-rules'; rules: InterceptRule[]; holdTimeoutMs: number };

// ---------------------------------------------------------------------------------------------------------------
// Panel ⇄ background (runtime port).

export type PanelToBackgroundMessage =
  | { ns: typeof NAMESPACE; type: 'panel-hello'; protocolVersion: number; tabId: number }
  | { ns: typeof NAMESPACE; type: 'set-paused'; tabId: number; paused: boolean }
  | { ns: typeof NAMESPACE; type: 'clear'; scope: 'session'; sessionId: string }
  | { ns: typeof NAMESPACE; type: 'clear'; scope: 'all' }
  | { ns: typeof NAMESPACE; type: 'page-command'; tabId: number; requestId: string; command: WireCommand }
  /** Intercept rules are global (each has its own URL pattern); the background keeps them in storage.local, where every relay reads them. */
  | { ns: typeof NAMESPACE; type: 'set-rules'; rules: InterceptRule[]; holdTimeoutMs: number }
  | { ns: typeof NAMESPACE; type: 'get-rules' }
  /** Which session is the page in the panel's tab on now (after a navigation; it may have stored nothing yet)? */
  | { ns: typeof NAMESPACE; type: 'page-session-query' };

export type BackgroundToPanelMessage =
  | { ns: typeof NAMESPACE; type: 'panel-welcome'; protocolVersion: number; tabId: number; paused: boolean }
  /** New rows were stored for a session of the watched tab: re-read what is on screen. */
  | { ns: typeof NAMESPACE; type: 'stored'; sessionId: string; connectionIds: string[] }
  | { ns: typeof NAMESPACE; type: 'session-started'; sessionId: string }
  | { ns: typeof NAMESPACE; type: 'capture-state'; tabId: number; paused: boolean }
  | { ns: typeof NAMESPACE; type: 'cleared'; scope: 'session' | 'all'; sessionId?: string }
  | { ns: typeof NAMESPACE; type: 'command-result'; requestId: string; ok: boolean; error?: string }
  | { ns: typeof NAMESPACE; type: 'page-notice'; tabId: number; notice: WireNotice }
  | { ns: typeof NAMESPACE; type: 'rules'; rules: InterceptRule[]; holdTimeoutMs: number }
  /** The answer to page-session-query: null when the page has no relay (not captured, or still loading). */
  | { ns: typeof NAMESPACE; type: 'page-session'; tabId: number; sessionId: string | null };

// ---------------------------------------------------------------------------------------------------------------

type AnyMessage =
  | PageToRelayMessage
  | RelayToPageMessage
  | RelayToBackgroundMessage
  | BackgroundToRelayMessage
  | BackgroundToFrameMessage
  | PanelToBackgroundMessage
  | BackgroundToPanelMessage;

type WithoutNamespace<M> = M extends unknown ? Omit<M, 'ns'> : never;

/** Builds a message with the namespace tag, so no context writes the tag by hand. */
export function message<M extends AnyMessage>(body: WithoutNamespace<M>): M {
  return { ns: NAMESPACE, ...body } as M;
}

/** True for a plain object carrying our namespace tag and a string `type`. Validate fields at the receiver. */
export function isProtocolMessage(value: unknown): value is { ns: typeof NAMESPACE; type: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { ns?: unknown }).ns === NAMESPACE &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}
