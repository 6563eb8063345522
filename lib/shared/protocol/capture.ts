import type { BlobBytes, ConnectionInitiator, Direction, EncodedPayload, FrameOrigin, FrameStatus, InterceptRule, NAMESPACE, Opcode, PayloadEncoding } from './vocabulary';
import type { PageNotice, ReplayStep, ReplayWaitForReply } from './page';

// Relay ⇄ background (runtime port "capture", structured clone): wire events. Outside packed batches, binary
// payloads are base64 strings here (EncodedPayload).


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
  /** How `payload` holds it: text, base64, or 'bytes' when the payload is raw in `bytes` (and `payload` is ''). */
  encoding: PayloadEncoding | 'bytes';
  payload: string;
  /** Size of the payload in bytes on the wire (UTF-8 bytes for text). */
  size: number;
  origin: FrameOrigin;
  status: FrameStatus;
  note?: string;
  original?: { encoding: PayloadEncoding; payload: string };
  rule?: string;
  /**
   * A binary payload as raw bytes (encoding 'bytes', `payload` ''): only in the background, for frames
   * it unpacked from a capture batch (lib/shared/packed-batch.ts), so that bytes are stored as they came instead of
   * going through base64 and back. Bytes that came in a Blob stay in it (BlobBytes): the store writes the Blob
   * without the background ever reading it. Never sent on a port.
   */
  bytes?: ArrayBuffer | BlobBytes;
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

export interface PackedBatch {
  /** Number of events. */
  count: number;
  /** Connection ids used in this batch; rows refer to them by index. */
  ids: string[];
  /**
   * PACKED_ROW_WIDTH numbers per event: [frame code, connection index, seq, time, payload length], or
   * [PACKED_EXTRA, index into `extra`, 0, 0, 0]. Exactly `count` rows.
   */
  rows: Float64Array;
  /** The text payloads of the column rows (opcode 1), back to back, in event order. */
  payloads: string;
  /**
   * The binary payloads of the column rows (opcode 2), back to back, in event order. From BLOB_MIN_BYTES (lib/shared/packed-batch.ts) on, a
   * Blob: creating one costs the page about a third of what cloning the bytes into the port message does.
   */
  binary: ArrayBuffer | Blob;
  /** Rare events, whole, referenced by PACKED_EXTRA rows. */
  extra: WireEvent[];
  /**
   * Payloads over PLAIN_PAYLOAD_MAX, one Blob each (text as UTF-8), referenced by rows whose code has
   * LARGE_PAYLOAD set (their length field is the index here). A Blob crosses the port as a handle: the bytes never
   * go through the page's thread again, and the relay built each Blob a slice per task (see blobInSlices in lib/shared/packed-batch.ts).
   */
  large: Blob[];
}

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
      /**
       * Connections of this frame not closed yet (a relay reconnecting to a restarted background names them, so
       * that they are ended if the page goes away or crashes later).
       */
      openConnections?: string[];
    }
  | { ns: typeof NAMESPACE; type: 'batch'; batchSeq: number; packed: PackedBatch }
  | { ns: typeof NAMESPACE; type: 'command-result'; requestId: string; ok: boolean; error?: string }
  | { ns: typeof NAMESPACE; type: 'page-notice'; notice: WireNotice }
  /**
   * This frame's capture could not start: the relay got no port from the page hook (a hand-over a page raced or
   * blocked). `frameUrl` is the relay's own location. The background lists it on the session (captureGaps).
   */
  | { ns: typeof NAMESPACE; type: 'capture-gap'; reason: 'hand-over-failed'; frameUrl: string; time: number }
  /**
   * The document is going away (pagehide: navigation, tab closed, back/forward cache), said after its last
   * batches: the background ends every connection of this frame still open (ConnectionRecord.pageGone
   * 'page-closed'). A port that drops without it is a crash ('crashed').
   */
  | { ns: typeof NAMESPACE; type: 'goodbye'; time: number; openConnections: string[] };

/** A page notice as it crosses to the background and the panel: held payloads are encoded (EncodedPayload). */
export type WireNotice = PageNotice<EncodedPayload>;

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
export type BackgroundToFrameMessage =
  | { ns: typeof NAMESPACE; type: 'wake' }
  | { ns: typeof NAMESPACE; type: 'session-query' }
  /**
   * Whether a panel watches the tab now (sent when the first one opens and when the last one closes): breakpoints
   * hold frames only while one does (issue #9 §6); without one, held frames are released and nothing is held.
   */
  | { ns: typeof NAMESPACE; type: 'panel-watch'; watched: boolean };

/**
 * A relay to the background without a capture port (runtime.sendMessage): `watch-query` asks whether a panel
 * watches the sender's tab (answered true or false; the tab is the sender's, as the browser says).
 */
export type FrameToBackgroundMessage = { ns: typeof NAMESPACE; type: 'watch-query' };

/** The top frame's page load, as its relay knows it: the tab session it will write into. */
export interface PageSessionInfo {
  sessionId: string;
  pageUrl: string;
  title: string;
  startedAt: number;
}

/** A page command as it crosses from the panel through the background: payloads encoded (EncodedPayload). */
export type WireCommand =
  | { kind: 'send'; connectionId: string; encoding: PayloadEncoding; payload: string }
  | { kind: 'simulate-receive'; connectionId: string; encoding: PayloadEncoding; payload: string }
  | { kind: 'close'; connectionId: string; code?: number; reason?: string }
  | { kind: 'replay'; replayId: string; url: string; protocols: string[]; steps: ReplayStep<EncodedPayload>[]; waitForReply?: ReplayWaitForReply }
  | { kind: 'replay-stop'; replayId: string }
  | { kind: 'release'; holdId: string; action: 'forward' | 'drop'; data?: EncodedPayload }
  | { kind: 'set-rules'; rules: InterceptRule[]; holdTimeoutMs: number };

