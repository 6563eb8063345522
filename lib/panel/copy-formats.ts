/**
 * What the row menu's "Copy …" items put on the clipboard, each undefined (the item disabled, with `why`) where it
 * does not apply. The detail pane's copy buttons write the same payload, base64 and hex.
 */
import type { FrameRecord } from '../shared/records';
import { bytesToBase64 } from '../shared/wire';
import { hexDumpText, toHex } from './hexdump';
import { parseJsonPayload, prettyJson } from './json-view';
import { messageAsJson } from './message-format';

export interface CopyFormats {
  /** Text as is, binary as a hex dump, a control row as its record in JSON. */
  payload: string;
  /** The payload pretty-printed, when it is JSON. */
  json: string | undefined;
  base64: string | undefined;
  /** Lower-case hex pairs, no spaces. */
  hex: string | undefined;
  /** Why an undefined format does not apply. */
  why: { json?: string; bytes?: string };
}

const utf8 = new TextEncoder();

export function copyFormats(row: FrameRecord, connectionUrl?: string): CopyFormats {
  if (row.kind !== 'frame') {
    const reason = 'An event row has no payload';
    return { payload: messageAsJson(row, bytesToBase64, connectionUrl), json: undefined, base64: undefined, hex: undefined, why: { json: reason, bytes: reason } };
  }
  if (row.data === undefined) {
    const reason = 'The payload was not stored';
    return { payload: '', json: undefined, base64: undefined, hex: undefined, why: { json: reason, bytes: reason } };
  }
  if (row.data instanceof ArrayBuffer) {
    const bytes = new Uint8Array(row.data);
    return { payload: hexDumpText(bytes), json: undefined, base64: bytesToBase64(bytes), hex: toHex(bytes), why: { json: 'A binary payload is not JSON' } };
  }
  const bytes = utf8.encode(row.data);
  const json = parseJsonPayload(row.data);
  return {
    payload: row.data,
    json: json.ok ? prettyJson(json.value) : undefined,
    base64: bytesToBase64(bytes),
    hex: toHex(bytes),
    why: json.ok ? {} : { json: 'The payload is not JSON' },
  };
}
