/**
 * The decoder registry: detection per connection, decoding that never throws, and a per-connection decoder that
 * carries protocol state across frames (Socket.IO attachments, MQTT level and topic aliases, operation names…).
 *
 * Panel usage: `detectDecoder(connection, firstFrames)` picks a decoder (the user may override it with any id of
 * `listDecoders()`); `createConnectionDecoder(id, connection)` then decodes that connection's frames, fed in seq
 * order, and remembers each result by seq.
 */
import { actionCableDecoder } from './actioncable';
import { cborDecoder, jsonDecoder, msgpackDecoder } from './binary-formats';
import { graphqlWsDecoder } from './graphql-ws';
import { jsonRpcDecoder } from './jsonrpc';
import { mqttDecoder } from './mqtt';
import { protobufDecoder } from './protobuf';
import { signalRDecoder } from './signalr';
import { socketIoDecoder } from './socketio';
import { sockJsDecoder } from './sockjs';
import { stompDecoder } from './stomp';
import { DecodeError, type ConnectionLike, type DecodeContext, type DecodeOutcome, type FrameDecoder, type FrameLike } from './types';
import { wampDecoder } from './wamp';

export type { DecodedNode, DecodeOutcome, DecodedFields, FieldValue, FrameLike, ConnectionLike } from './types';
export { matchesDecodedFilter, parseDecodedFilter } from './filter';

/** Every decoder; on equal confidence the earlier one wins (specific protocols before generic formats). */
export const DECODERS: ReadonlyArray<FrameDecoder<any>> = [
  socketIoDecoder,
  sockJsDecoder,
  stompDecoder,
  mqttDecoder,
  graphqlWsDecoder,
  jsonRpcDecoder,
  signalRDecoder,
  wampDecoder,
  actionCableDecoder,
  msgpackDecoder,
  cborDecoder,
  protobufDecoder,
  jsonDecoder,
];

/** How many first frames detection looks at. */
export const DETECT_FRAMES = 5;

/** For a "decode as…" menu: every decoder's id and label. */
export function listDecoders(): Array<{ id: string; label: string }> {
  return DECODERS.map(({ id, label }) => ({ id, label }));
}

export function getDecoder(id: string): FrameDecoder<any> | undefined {
  return DECODERS.find((d) => d.id === id);
}

export interface Detection {
  /** The best decoder's id, or null if nothing matched. */
  id: string | null;
  confidence: number;
  /** Every decoder with a confidence above 0, best first. */
  candidates: Array<{ id: string; label: string; confidence: number }>;
}

/** Picks a decoder for a connection from its subprotocol, URL and first data frames. Never throws. */
export function detectDecoder(connection: ConnectionLike, firstFrames: FrameLike[]): Detection {
  const frames = firstFrames.filter((f) => (f.kind ?? 'frame') === 'frame' && f.data !== undefined).slice(0, DETECT_FRAMES);
  const ctx: DecodeContext = { url: connection.url, protocol: connection.protocol ?? '', protocols: connection.protocols ?? [], firstFrames: frames };
  const candidates: Detection['candidates'] = [];
  for (const decoder of DECODERS) {
    let confidence = 0;
    try {
      confidence = decoder.detect(ctx);
    } catch {
      confidence = 0;
    }
    if (confidence > 0) candidates.push({ id: decoder.id, label: decoder.label, confidence });
  }
  // stable sort keeps registry order on ties
  candidates.sort((a, b) => b.confidence - a.confidence);
  return { id: candidates[0]?.id ?? null, confidence: candidates[0]?.confidence ?? 0, candidates };
}

function failure(decoderId: string, frame: FrameLike, error: unknown): DecodeOutcome {
  const reason = error instanceof DecodeError ? error.message : `decoder error: ${error instanceof Error ? error.message : String(error)}`;
  return { ok: false, decoderId, error: reason, raw: frame.data, summary: `⚠ ${reason}` };
}

function runDecoder(decoder: FrameDecoder<any>, frame: FrameLike, state: unknown, connection: ConnectionLike) {
  if ((frame.kind ?? 'frame') !== 'frame') throw new DecodeError(`a ${frame.kind} row has no payload to decode`);
  if (frame.data === undefined) throw new DecodeError('the frame has no payload');
  return decoder.decode(frame, state, connection);
}

/**
 * Decodes one frame on its own (fresh protocol state: acks, attachments and aliases of earlier frames are not
 * known). Never throws: a failure returns the raw frame and the reason.
 */
export function decodeFrame(decoderId: string, frame: FrameLike, connection: ConnectionLike = { url: '', protocol: '' }): DecodeOutcome {
  const decoder = getDecoder(decoderId);
  if (!decoder) return failure(decoderId, frame, new DecodeError(`unknown decoder ${JSON.stringify(decoderId)}`));
  try {
    const { amend: _amend, ...decoded } = runDecoder(decoder, frame, decoder.createState(), connection);
    return { ok: true, decoderId, ...decoded };
  } catch (error) {
    return failure(decoderId, frame, error);
  }
}

/** Decodes the frames of one connection with shared protocol state. */
export interface ConnectionDecoder {
  readonly decoderId: string;
  /**
   * Decodes a frame (memoised by seq). Feed frames in seq order: state flows from each frame to the next. A frame
   * older than the last one fed that was never decoded is decoded on its own, with fresh state.
   */
  decode(frame: FrameLike): DecodeOutcome;
  /** The latest result for a seq (a later frame may have amended it, e.g. a Socket.IO attachment). */
  get(seq: number): DecodeOutcome | undefined;
  /** Increases whenever an earlier result is amended, so a view can re-read. */
  readonly revision: number;
}

export function createConnectionDecoder(decoderId: string, connection: ConnectionLike): ConnectionDecoder {
  const decoder = getDecoder(decoderId);
  let state: unknown = decoder?.createState();
  let lastSeq = -Infinity;
  let revision = 0;
  const results = new Map<number, DecodeOutcome>();
  return {
    decoderId,
    get revision() {
      return revision;
    },
    get: (seq) => results.get(seq),
    decode(frame) {
      const seq = frame.seq;
      if (seq !== undefined) {
        const cached = results.get(seq);
        if (cached) return cached;
        if (seq <= lastSeq) return decodeFrame(decoderId, frame, connection);
      }
      let outcome: DecodeOutcome;
      if (!decoder) outcome = failure(decoderId, frame, new DecodeError(`unknown decoder ${JSON.stringify(decoderId)}`));
      else {
        try {
          const { amend, ...decoded } = runDecoder(decoder, frame, state, connection);
          outcome = { ok: true, decoderId, ...decoded };
          for (const a of amend ?? []) {
            results.set(a.seq, { ok: true, decoderId, ...a.decoded });
            revision++;
          }
        } catch (error) {
          outcome = failure(decoderId, frame, error);
          // A decoder that threw half-way may have left its state inconsistent only for the protocol unit that
          // failed; the state stays, so the next frames keep their context (e.g. MQTT's protocol level).
          if (!(error instanceof DecodeError)) state = decoder.createState();
        }
      }
      if (seq !== undefined) {
        results.set(seq, outcome);
        lastSeq = seq;
      }
      return outcome;
    },
  };
}

/**
 * The one-line text for the list's "Decoded" column. Takes a ConnectionDecoder (stateful, preferred) or a decoder
 * id (stateless). Never throws; a failure reads "⚠ reason".
 */
export function summarizeFrame(decoder: ConnectionDecoder | string, frame: FrameLike): string {
  const outcome = typeof decoder === 'string' ? decodeFrame(decoder, frame) : decoder.decode(frame);
  return outcome.summary;
}
