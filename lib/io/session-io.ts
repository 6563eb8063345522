/**
 * Sessions in and out of the store: the API the panel's I/O worker and the components use, gathered from
 * the modules that do each job:
 *   lib/io/export-plan.ts           what an export holds, its file name, its text chunk by chunk, or a Blob
 *   lib/io/connection-read-runs.ts  which connections an export reads from the store in one pass
 *   lib/io/session-import.ts        a file read, validated and stored as a new session (or nothing kept)
 *   lib/io/imported-records.ts      the store records an import writes
 *   lib/io/merge-by-time.ts         the session order of imported rows
 * The streamed download of an export is lib/io/export-stream-producer.ts (the I/O worker's half).
 */
export { EXPORTER, exportSession, planExport, type ExportFormat, type ExportOptions, type ExportPlan, type ExportResult, type ExportScope, type ExportTotals, type RowKey } from './export-plan';
export { SHARED_READ_BUDGET, groupConnectionReads, type ConnectionReadCost, type ReadRun } from './connection-read-runs';
export { ImportError, MAX_IMPORT_BYTES, formatMegabytes, importFile, writeImportedSession, type ImportOptions, type ImportResult, type ImportSource } from './session-import';
export { mergeByTime } from './merge-by-time';
