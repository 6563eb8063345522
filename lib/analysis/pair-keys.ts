/**
 * The frame reader of a connection, by the decoder chosen for it (lib/decoders: detected or the user's "Decode
 * as"), optionally with a user-defined pair of JSON paths for protocols the decoders do not know.
 *
 *   const read = createFrameReader('json-rpc');                          // ids of the protocol
 *   const read = createFrameReader('json', { pairPaths: { request: '$.id', response: '$.replyTo' } });
 *   read(frame) → FrameFacts { type, heartbeat, requests?, responses?, items?, ends?, either? }   (see frame-facts.ts)
 *
 * Feed one connection's frames in seq order to one reader (MQTT reassembly and order-paired exchanges keep
 * state). With pairPaths, the paths alone decide the pairs; the protocol still gives the type and heartbeats.
 */
import type { FrameLike } from '../decoders/types';
import { frameText, genericFacts, tryJson, type FrameFacts, type FrameReader } from './frame-facts';
import { parseIdPath, readJsonPath, type JsonPath } from './json-path';
import { socketIoReader, sockJsReader, stompReader } from './pair-keys-framed';
import { graphqlWsReader, jsonRpcReader, signalRReader, wampReader } from './pair-keys-json';
import { mqttReader } from './pair-keys-mqtt';

export type { FrameFacts, FrameReader, PairMark } from './frame-facts';

/** A user-defined pair for custom protocols: a request carries `request`, its response carries `response`. */
export interface PairPaths {
  /** JSONPath (subset: `$.a.b`, `$.a[0]`, `$['x']`) of the request's id, e.g. `$.id`. */
  request: string;
  /** JSONPath of the id in the response that names its request, e.g. `$.replyTo`. */
  response: string;
}

export interface FrameReaderOptions {
  pairPaths?: PairPaths;
}

const READERS: Record<string, () => FrameReader> = {
  'json-rpc': jsonRpcReader,
  'graphql-ws': graphqlWsReader,
  'socket.io': socketIoReader,
  signalr: signalRReader,
  stomp: stompReader,
  mqtt: mqttReader,
  wamp: wampReader,
  sockjs: sockJsReader,
};

/** Decoder ids whose request↔response ids analysis knows (the others pair only by user-defined paths). */
export const PAIRING_DECODERS: readonly string[] = ['json-rpc', 'graphql-ws', 'socket.io', 'signalr', 'stomp', 'mqtt', 'wamp'];

/** A frame reader for a connection decoded with `decoderId` (null or unknown: generic JSON/text). Throws JsonPathError on bad pairPaths. */
export function createFrameReader(decoderId: string | null, options: FrameReaderOptions = {}): FrameReader {
  const base = (decoderId !== null ? READERS[decoderId]?.() : undefined) ?? genericFacts;
  const paths = options.pairPaths;
  if (!paths) return base;
  const request = parseIdPath(paths.request);
  const response = parseIdPath(paths.response);
  const samePath = JSON.stringify(request.segments) === JSON.stringify(response.segments);
  return (frame) => {
    const facts = base(frame);
    // The paths alone decide the pairs: the protocol's own marks (stream items and ends too) give way.
    return { ...facts, items: undefined, ends: undefined, ...pathMarks(frame, facts, request, response, samePath) };
  };
}

/** An id read by a path: strings and numbers as JSON text (so 1 and "1" differ, as they do in JSON-RPC). */
function idAt(path: JsonPath, value: unknown): string | undefined {
  const id = readJsonPath(path, value);
  return typeof id === 'string' || typeof id === 'number' ? JSON.stringify(id) : undefined;
}

function pathMarks(frame: FrameLike, facts: FrameFacts, request: JsonPath, response: JsonPath, samePath: boolean): Pick<FrameFacts, 'requests' | 'responses' | 'either'> {
  const value = tryJson(frameText(frame));
  const marks: Pick<FrameFacts, 'requests' | 'responses' | 'either'> = { requests: undefined, responses: undefined, either: undefined };
  if (value === undefined) return marks;
  const label = facts.type;
  const messages = Array.isArray(value) && request.segments[0] !== 0 ? value : [value];
  for (const message of messages) {
    const asResponse = idAt(response, message);
    const asRequest = idAt(request, message);
    if (samePath) {
      if (asRequest !== undefined) (marks.either ??= []).push({ key: asRequest, label });
    } else if (asResponse !== undefined) (marks.responses ??= []).push({ key: asResponse, label });
    else if (asRequest !== undefined) (marks.requests ??= []).push({ key: asRequest, label });
  }
  return marks;
}
