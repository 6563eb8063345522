/**
 * The decoder interface: every protocol decoder (lib/decoders/*.ts) turns one stored frame into a one-line summary,
 * a tree for the detail pane and flat `fields` the panel can filter on.
 */
import type { FrameRecord } from '../shared/records';

/** One node of the decoded tree. Labels and values are plain text: the page wrote them, so never render as HTML. */
export interface DecodedNode {
  label: string;
  value?: string;
  children?: DecodedNode[];
}

/** A field value; multi-valued fields (e.g. the topics of one SUBSCRIBE) are arrays, any element can match. */
export type FieldValue = string | number | boolean | Array<string | number | boolean>;
export type DecodedFields = Record<string, FieldValue>;

export interface Decoded {
  summary: string;
  tree: DecodedNode;
  fields: DecodedFields;
}

/** What every decode returns: the decoded frame, or the raw frame with the reason it could not be decoded. */
export type DecodeOutcome =
  | ({ ok: true; decoderId: string } & Decoded)
  | { ok: false; decoderId: string; error: string; raw: string | ArrayBuffer | undefined; summary: string };

/** The parts of a stored frame a decoder reads. */
export type FrameLike = Pick<FrameRecord, 'data'> & Partial<Pick<FrameRecord, 'dir' | 'seq' | 'kind' | 'opcode'>>;

/** What a connection looks like to detection (a ConnectionRecord fits). */
export interface ConnectionLike {
  url: string;
  /** Negotiated subprotocol ('' when none). */
  protocol: string;
  /** Subprotocols the page asked for. */
  protocols?: string[];
}

export interface DecodeContext extends ConnectionLike {
  /** The first data frames of the connection, in seq order (detection sniffs them). */
  firstFrames: FrameLike[];
}

/**
 * A later frame can complete an earlier one (a Socket.IO binary attachment completes its placeholder packet):
 * the decoder returns the earlier frame's new result here and the connection decoder replaces what it cached.
 */
export interface Amendment {
  seq: number;
  decoded: Decoded;
}

export interface DecodeResult extends Decoded {
  amend?: Amendment[];
}

/**
 * A protocol decoder. `decode` may throw on a malformed frame: the registry turns that into a failure outcome.
 * Stateful protocols keep per-connection state in the object `createState` returns; frames of one connection are
 * then decoded in seq order with the same state.
 */
export interface FrameDecoder<State = unknown> {
  id: string;
  label: string;
  /** 0 (certainly not) … 1 (certainly): how well the connection matches. */
  detect(ctx: DecodeContext): number;
  createState(): State;
  decode(frame: FrameLike, state: State, ctx: ConnectionLike): DecodeResult;
}

/** Thrown by decoders for malformed input; the message is shown to the user as the reason. */
export class DecodeError extends Error {}
