/**
 * Imports: a `.wsi.json` or HAR file read, validated and stored as a new session.
 *
 * Import never damages what is stored: the file is validated completely first (lib/io/formats), then written
 * under a new session id — connections first, then the rows (all connections merged by time, see mergeByTime) as
 * store chunks, a bounded number per transaction, the session record last, so nothing shows in the panel until
 * everything is in — and if any write fails, everything under that new id is deleted.
 */
import { CHUNK_BYTES, CHUNK_ROWS, ChunkBuilder, chunkRowBytes, deleteSession, type FrameChunk, type InspectorDatabase } from '../store/frame-store';
import type { SessionRecord } from '../shared/records';
import type { ImportResult } from '../shared/protocol/io';
import { FormatError } from './formats/errors';
import { readSessionText } from './formats/detect';
import type { PortableSession } from './formats/model';
import { randomId } from '../shared/random-id';
import { portableToChunkRow, toConnectionRecord } from './imported-records';
import { mergeByTime } from './merge-by-time';

export type { ImportResult } from '../shared/protocol/io';

/** Files larger than this are refused before reading: a JavaScript string cannot hold much more. */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
/** Payload bytes per import write transaction, about (see writeImportedSession). */
const MAX_IMPORT_TX_BYTES = CHUNK_BYTES * 8;

export interface ImportOptions {
  /** Rows per write transaction at most (default CHUNK_ROWS × 8; fewer when payloads are large). */
  chunkRows?: number;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
  /** New ids; randomId by default. */
  newId?: () => string;
  now?: () => number;
}

/** An import that failed: what went wrong and where, for the user. */
export class ImportError extends Error {
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(`${fileName}: ${message}`);
    this.name = 'ImportError';
  }
}

/**
 * Writes a validated session into the store under fresh ids (importing the same file twice gives two sessions).
 * On failure everything written under the new session id is removed, and the error is rethrown.
 */
export async function writeImportedSession(db: InspectorDatabase, portable: PortableSession, fileName: string, options: ImportOptions = {}): Promise<ImportResult> {
  const chunkRows = options.chunkRows ?? CHUNK_ROWS * 8;
  const newId = options.newId ?? (() => randomId());
  // The store finds a row by seq within its connection: seqs must be strictly increasing (the readers ensure it,
  // this checks whoever else built `portable`), before anything is written.
  portable.connections.forEach((c, ci) => {
    for (let i = 1; i < c.rows.length; i++) {
      if (!(c.rows[i].seq > c.rows[i - 1].seq)) {
        throw new ImportError(fileName, `connection ${ci} row ${i}: seq ${c.rows[i].seq} is not greater than the previous row's seq ${c.rows[i - 1].seq}`);
      }
    }
  });
  const sessionId = newId();
  const total = portable.connections.reduce((sum, c) => sum + c.rows.length, 0);
  const connectionRecords = portable.connections.map((c) => toConnectionRecord(c, newId(), sessionId));
  try {
    const tx = db.transaction('connections', 'readwrite');
    await Promise.all([...connectionRecords.map((record) => tx.store.put(record)), tx.done]);

    // Rows in session order, grouped into chunks; a write transaction holds whole chunks and at most `chunkRows`
    // rows or MAX_IMPORT_TX_BYTES payload bytes (a few rows past them), so no transaction grows without bound.
    const builder = new ChunkBuilder(sessionId, 0);
    const nextCpos = portable.connections.map(() => 0);
    let pending: FrameChunk[] = [];
    let txRows = 0;
    let txBytes = 0;
    const flush = async (): Promise<void> => {
      const last = builder.seal();
      if (last) pending.push(last);
      if (pending.length === 0) return;
      const chunks = db.transaction('chunks', 'readwrite');
      await Promise.all([...pending.map((chunk) => chunks.store.put(chunk)), chunks.done]);
      pending = [];
      txRows = 0;
      txBytes = 0;
      options.onProgress?.(builder.nextPos, total);
    };
    for (const [ci, i] of mergeByTime(portable.connections)) {
      const row = portableToChunkRow(portable.connections[ci].rows[i], connectionRecords[ci].id, nextCpos[ci]++);
      const sealed = builder.add(row);
      if (sealed) pending.push(sealed);
      txRows++;
      txBytes += chunkRowBytes(row);
      if (txRows >= chunkRows || txBytes >= MAX_IMPORT_TX_BYTES) await flush();
    }
    await flush();

    // Same counting as captured sessions (frame-store writeEvents): every frame row, refused or not.
    let frameCount = 0;
    let bytes = 0;
    let lastActivity = portable.startedAt;
    for (const c of portable.connections) {
      for (const row of c.rows) {
        if (row.kind === 'frame') {
          frameCount++;
          bytes += row.size ?? 0;
        }
        if (row.time > lastActivity) lastActivity = row.time;
      }
    }
    const session: SessionRecord = {
      id: sessionId,
      tabId: null,
      pageUrl: portable.pageUrl,
      title: portable.title,
      startedAt: portable.startedAt,
      lastActivity,
      source: 'imported',
      importedFrom: fileName,
      connectionCount: connectionRecords.length,
      frameCount,
      bytes,
      rowCount: builder.nextPos,
    };
    await db.put('sessions', session);
  } catch (error) {
    try {
      await deleteSession(db, sessionId);
    } catch {
      // The original failure is what the user needs to see; a failed clean-up leaves only unlisted rows.
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImportError(fileName, `could not store the import (${reason}); nothing was kept`);
  }
  return { sessionId, connectionIds: connectionRecords.map((c) => c.id), rows: total, format: portable.format, warnings: portable.warnings };
}

/** A file as import sees it: a name, a size and its text (a File satisfies this). */
export interface ImportSource {
  name: string;
  size: number;
  text(): Promise<string>;
}

/** Reads, validates and stores one file. Every failure is an ImportError naming the file, the problem and where. */
export async function importFile(db: InspectorDatabase, file: ImportSource, options: ImportOptions & { maxBytes?: number } = {}): Promise<ImportResult> {
  const maxBytes = options.maxBytes ?? MAX_IMPORT_BYTES;
  if (file.size > maxBytes) {
    throw new ImportError(file.name, `the file is ${formatMegabytes(file.size)}; the largest file Import reads is ${formatMegabytes(maxBytes)}`);
  }
  let portable: PortableSession;
  try {
    portable = readSessionText(await file.text());
  } catch (error) {
    if (error instanceof FormatError) throw new ImportError(file.name, error.message);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImportError(file.name, `could not read the file (${reason})`);
  }
  return writeImportedSession(db, portable, file.name, options);
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
