/**
 * The frame store's public entry: sessions, connections and frames in IndexedDB, written by the background and read
 * by the panel and the I/O worker. Re-exports only; each part is a module of its own:
 * - schema.ts: the database (stores, keys, indexes), opening it, and the version 1 → 2 migration;
 * - chunk-codec.ts: rows to chunk records and back (why rows are kept in chunks);
 * - write.ts: sessions, capture batches (writeEvents, idempotent), deletion;
 * - read.ts: sessions, connections and rows by position, by seq, or several connections at once;
 * - retention-settings.ts: the retention setting (total caps, and the per-session payload cap);
 * - payload-cap.ts: a live session past its cap keeps its rows but not its payloads;
 * - retention.ts: eviction;
 * - page-gone.ts: connections ended with their page, and frames whose capture could not start;
 * - frame-query.ts (imported on its own): paging, filtering and searching rows for the panel.
 */
export { DB_NAME, DB_VERSION, openFrameStore, type InspectorDB, type InspectorDatabase } from './schema';
export {
  CHUNK_BYTES,
  CHUNK_ROWS,
  ChunkBuilder,
  chunkRowBytes,
  connectionRowsOfChunk,
  hydrateChunks,
  packChunk,
  rowsOfChunk,
  toChunkRow,
  type ChunkRow,
  type FrameChunk,
} from './chunk-codec';
export { clearAll, deleteSession, ensureSession, newSession, writeEvents, type RecalledConnection, type WriteResult } from './write';
export {
  MAX_CHUNKS_PER_READ,
  connectionFrames,
  connectionPositionOfSeq,
  connectionReadStep,
  connectionRowChunks,
  connectionSpan,
  getRow,
  latestSessionForTab,
  listConnections,
  listSessions,
  readConnectionRows,
  readConnectionsTogether,
  readSessionRows,
  sessionChunkKeys,
  sessionFrames,
  type ConnectionSpan,
} from './read';
export { enforceRetention, planEviction } from './retention';
export { MAX_CAPTURE_GAPS, appendCaptureGap, endConnectionsOfGonePage } from './page-gone';
export {
  DEFAULT_RETENTION,
  getRetention,
  retentionWithDefaults,
  sessionPayloadLimit,
  setRetention,
  type RetentionInput,
  type RetentionSettings,
} from './retention-settings';
export { PayloadCapCounter, capNote, formatCapBytes, storedBytes } from './payload-cap';
