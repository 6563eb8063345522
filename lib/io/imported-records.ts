/**
 * The store's records of an imported session's connections and rows, made from the portable model the file
 * readers produce (lib/io/formats/model.ts).
 */
import type { ChunkRow } from '../store/frame-store';
import type { ConnectionRecord } from '../shared/records';
import { connectionFields, type PortableConnection, type PortableRow } from './formats/model';
import { base64ToBytes, toArrayBuffer } from '../shared/wire';

/** An imported row as the store keeps it, at position `cpos` of its connection. */
export function portableToChunkRow(row: PortableRow, connectionId: string, cpos: number): ChunkRow {
  const record: ChunkRow = { connectionId, seq: row.seq, time: row.time, kind: row.kind, size: 0, cpos };
  switch (row.kind) {
    case 'frame':
      record.dir = row.dir;
      record.opcode = row.opcode;
      if (!row.payloadOmitted) record.data = row.encoding === 'base64' ? toArrayBuffer(base64ToBytes(row.data ?? '')) : (row.data ?? '');
      record.size = row.size ?? 0;
      record.origin = row.origin ?? 'page';
      record.status = row.status ?? 'sent';
      if (row.note !== undefined) record.note = row.note;
      if (row.rule !== undefined) record.rule = row.rule;
      if (row.original !== undefined) record.original = row.originalEncoding === 'base64' ? toArrayBuffer(base64ToBytes(row.original)) : row.original;
      break;
    case 'open':
      record.protocol = row.protocol ?? '';
      record.extensions = row.extensions ?? '';
      break;
    case 'close':
      record.code = row.code;
      record.reason = row.reason ?? '';
      record.wasClean = row.wasClean ?? false;
      break;
    case 'error':
      break;
  }
  return record;
}

/** An imported connection's record, with its counts computed from its rows. */
export function toConnectionRecord(c: PortableConnection, id: string, sessionId: string): ConnectionRecord {
  const record: ConnectionRecord = {
    id,
    sessionId,
    ...connectionFields(c),
    sentCount: 0,
    receivedCount: 0,
    sentBytes: 0,
    receivedBytes: 0,
    lastSeq: 0,
    rowCount: c.rows.length,
  };
  // Counted as frame-store's writeEvents counts: only frames that went through.
  for (const row of c.rows) {
    record.lastSeq = Math.max(record.lastSeq, row.seq);
    if (row.kind !== 'frame' || (row.status ?? 'sent') !== 'sent') continue;
    if (row.dir === 'send') {
      record.sentCount++;
      record.sentBytes += row.size ?? 0;
    } else {
      record.receivedCount++;
      record.receivedBytes += row.size ?? 0;
    }
  }
  return record;
}

