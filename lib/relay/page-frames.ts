/**
 * What kind of frame a page event is, for the relay's intake: plain (it can travel as a packed row), large (it
 * travels as a Blob), and its payload cut to its own bytes. Pure: no state, no I/O.
 */
import type { PageFrameEvent } from '../shared/protocol';
import { PLAIN_PAYLOAD_MAX } from '../shared/protocol';
import { decodeRowCode } from '../shared/packed-batch';

/** A frame with nothing but its payload (no note, rule or original): it can travel as a row. */
export function isPlainFrame(event: PageFrameEvent): boolean {
  return event.note === undefined && event.rule === undefined && event.original === undefined;
}

/** A payload over PLAIN_PAYLOAD_MAX: it travels as a Blob (PackedBatch.large), built a slice per task. */
export function isLargePayload(event: PageFrameEvent): boolean {
  const { data } = event;
  return event.pieces !== undefined || (typeof data === 'string' ? data.length : data instanceof ArrayBuffer ? data.byteLength : data.size) > PLAIN_PAYLOAD_MAX;
}

/**
 * The frame with its payload exactly: a binary frame in a reused buffer larger than it (PageFrameEvent.byteLength)
 * keeps it only on the large-frame path, which reads just those bytes; anywhere else its bytes are cut out.
 */
export function exactPayload(event: PageFrameEvent): PageFrameEvent {
  const { byteLength, data } = event;
  if (byteLength === undefined) return event;
  const fits = data instanceof ArrayBuffer && Number.isInteger(byteLength) && byteLength >= 0 && byteLength <= data.byteLength;
  if (fits && byteLength > PLAIN_PAYLOAD_MAX && isPlainFrame(event)) return event;
  const { byteLength: _dropped, ...rest } = event;
  return { ...rest, data: data instanceof ArrayBuffer ? data.slice(0, fits ? byteLength : data.byteLength) : data };
}

/** The frame codes a plain hook row can carry, as a table: the intake looks one up per row. */
export const PLAIN_CODES: boolean[] = [];
for (let code = 0; code < 128; code++) PLAIN_CODES[code] = decodeRowCode(code) !== undefined;
