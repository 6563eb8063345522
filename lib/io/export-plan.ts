/**
 * Exports: a session, a connection, a selection or a filtered view, resolved against the store and produced as
 * the file's text. Rows are read by connection position, a page at a time, and each page becomes one string
 * (planExport's `chunks`). Those strings become either a Blob (exportSession) or the body of a streamed download
 * (lib/io/export-stream-producer.ts). Between pages the loop yields to the event loop, so a million rows never
 * freeze the page it runs in (the panel runs it in a worker anyway, see lib/io/session-io-worker.ts).
 */
import { connectionRowChunks, connectionSpan, listConnections, readConnectionsTogether, sessionChunkKeys, type InspectorDatabase } from '../store/frame-store';
import type { ConnectionRecord, FrameRecord, SessionRecord } from '../shared/records';
import type { ExportFormat, PlainExportScope } from '../shared/protocol/io';
import { HAR_EXTENSION, HarWriter } from './formats/har';
import { WSI_EXTENSION, WsiWriter, type ExportScopeKind } from './formats/wsi-json';
import { SHARED_READ_BUDGET, groupConnectionReads, keysBetween, rowsMemory, type ConnectionReadCost } from './connection-read-runs';

export type { ExportFormat, RowKey } from '../shared/protocol/io';

export const EXPORTER = { name: 'WebSocket Inspector', version: '0.1.0' };

export type ExportScope =
  /** The session, a connection, or rows given by their keys (these cross to a worker). */
  | PlainExportScope
  /** A filtered view given as a predicate (main thread only: functions do not cross to a worker). */
  | { kind: 'filtered'; sessionId: string; connectionIds?: string[]; predicate: (row: FrameRecord) => boolean };

export interface ExportOptions {
  /** Rows read per IndexedDB request (one part of the Blob). */
  chunkRows?: number;
  onProgress?: (rowsDone: number) => void;
  signal?: AbortSignal;
  /** Fixed export time, for reproducible files in tests. */
  now?: Date;
  /** Write the values of Cookie, Set-Cookie and Authorization handshake headers (hidden unless the user asks). */
  includeSecrets?: boolean;
  /**
   * Memory, in estimated bytes, that connections read together may hold (see groupConnectionReads); 0 reads
   * every connection on its own. Default SHARED_READ_BUDGET.
   */
  sharedReadBudget?: number;
}

export interface ExportResult {
  blob: Blob;
  fileName: string;
  rows: number;
  connections: number;
}

interface StreamWriter {
  start(session: SessionRecord): string;
  connectionStart(connection: ConnectionRecord): string;
  row(row: FrameRecord): string;
  connectionEnd(): string;
  end(): string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function safeFileStem(text: string): string {
  let host = '';
  try {
    host = new URL(text).host;
  } catch {
    host = text;
  }
  return (host || 'session').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
}

/** What an export yields when it ends. */
export interface ExportTotals {
  rows: number;
  connections: number;
}

/** An export resolved against the store, ready to produce its text. */
export interface ExportPlan {
  fileName: string;
  /** The file's media type (both formats are JSON). */
  mimeType: string;
  /**
   * The file's text, one string per chunk of rows (plus the head and the tail); their concatenation is the file.
   * Rows are read while it is iterated, so nothing but the current chunk is held in memory.
   */
  chunks: AsyncGenerator<string, ExportTotals, undefined>;
}

/**
 * Resolves what to export (the session, its connections, which rows) and names the file; the rows are read and
 * encoded only as `chunks` is iterated. Both the Blob export below and the streamed download
 * (lib/io/export-stream-producer.ts) are this, so both produce the same bytes. A missing session or connection throws here,
 * before anything is produced.
 */
export async function planExport(db: InspectorDatabase, scope: ExportScope, format: ExportFormat, options: ExportOptions = {}): Promise<ExportPlan> {
  const chunkRows = options.chunkRows ?? 5000;
  const now = options.now ?? new Date();
  const session = await db.get('sessions', scope.sessionId);
  if (!session) throw new Error(`session ${scope.sessionId} is not in the store (deleted?)`);
  let connections = await listConnections(db, scope.sessionId);

  // Which rows of which connection: everything, a key set, or a predicate.
  let keysByConnection: Map<string, Set<number>> | undefined;
  let predicate: ((row: FrameRecord) => boolean) | undefined;
  const scopeKind: ExportScopeKind = scope.kind;
  if (scope.kind === 'connection') {
    connections = connections.filter((c) => c.id === scope.connectionId);
    if (connections.length === 0) throw new Error(`connection ${scope.connectionId} is not in session ${scope.sessionId}`);
  } else if ('keys' in scope) {
    keysByConnection = new Map();
    for (const key of scope.keys) {
      let set = keysByConnection.get(key.connectionId);
      if (!set) keysByConnection.set(key.connectionId, (set = new Set()));
      set.add(key.seq);
    }
    connections = connections.filter((c) => keysByConnection!.has(c.id));
  } else if ('predicate' in scope) {
    predicate = scope.predicate;
    if (scope.connectionIds) {
      const wanted = new Set(scope.connectionIds);
      connections = connections.filter((c) => wanted.has(c.id));
    }
  }

  const writer: StreamWriter =
    format === 'wsi'
      ? new WsiWriter({ scope: scopeKind, exportedAt: now.toISOString(), exporter: `${EXPORTER.name} ${EXPORTER.version}` }, { includeSecrets: options.includeSecrets })
      : new HarWriter(EXPORTER, { includeSecrets: options.includeSecrets });
  const partial = scope.kind === 'selection' || scope.kind === 'filtered';

  // Runs of connections read in one pass (whole connections only: a selection reads just its own seq range).
  const budget = keysByConnection ? 0 : (options.sharedReadBudget ?? SHARED_READ_BUDGET);
  // Without spans (nothing to share) every connection has 0 chunks, so each is a run of its own.
  const shareReads = budget > 0 && connections.length > 1;
  const spans = shareReads ? await Promise.all(connections.map((c) => connectionSpan(db, scope.sessionId, c.id))) : [];
  const costs = connections.map((c, i): ConnectionReadCost => ({ id: c.id, memory: rowsMemory(c), ...(spans[i] ?? { chunks: 0, firstChunk: 0, lastChunk: 0 }) }));
  const keys = shareReads ? await sessionChunkKeys(db, scope.sessionId) : [];
  const runs = groupConnectionReads(costs, (first, last) => keysBetween(keys, first, last), budget);
  const byId = new Map(connections.map((c) => [c.id, c]));

  /** A run's rows, read together, per connection: yielded a page at a time like connectionRowChunks'. */
  async function* sharedRows(rows: FrameRecord[]): AsyncGenerator<FrameRecord[]> {
    for (let i = 0; i < rows.length; i += chunkRows) yield rows.slice(i, i + chunkRows);
  }

  async function* chunks(): AsyncGenerator<string, ExportTotals, undefined> {
    let rowsDone = 0;
    let connectionsWritten = 0;
    yield writer.start(session!);
    for (const run of runs) {
      const shared =
        run.members.length > 1
          ? await readConnectionsTogether(db, scope.sessionId, run.members.map((c) => c.id), run.firstChunk, run.lastChunk, { signal: options.signal })
          : undefined;
      for (const { id } of run.members) {
        const connection = byId.get(id)!;
        let started = false;
        const begin = () => {
          if (started) return '';
          started = true;
          connectionsWritten++;
          return writer.connectionStart(connection);
        };
        // A whole connection appears even without rows; a selection only lists connections it has rows from.
        if (!partial) yield begin();
        const keys = keysByConnection?.get(connection.id);
        let fromSeq = -Infinity;
        let toSeq = Infinity;
        if (keys) {
          fromSeq = Infinity;
          toSeq = -Infinity;
          for (const seq of keys) {
            if (seq < fromSeq) fromSeq = seq;
            if (seq > toSeq) toSeq = seq;
          }
        }
        const pages = shared ? sharedRows(shared.get(connection.id) ?? []) : connectionRowChunks(db, scope.sessionId, connection.id, chunkRows, fromSeq, toSeq);
        for await (const rows of pages) {
          if (options.signal?.aborted) throw options.signal.reason ?? new Error('export cancelled');
          let text = '';
          for (const row of rows) {
            if (keys && !keys.has(row.seq)) continue;
            if (predicate && !predicate(row)) continue;
            text += begin();
            text += writer.row(row);
            rowsDone++;
          }
          yield text;
          options.onProgress?.(rowsDone);
          await yieldToEventLoop();
        }
        if (started) yield writer.connectionEnd();
        shared?.delete(connection.id); // written: its rows may go
      }
    }
    yield writer.end();
    return { rows: rowsDone, connections: connectionsWritten };
  }

  const extension = format === 'wsi' ? WSI_EXTENSION : HAR_EXTENSION;
  const what = scope.kind === 'session' ? '' : `-${scope.kind}`;
  const fileName = `${safeFileStem(session.pageUrl || session.title)}-${stamp(new Date(session.startedAt))}${what}${extension}`;
  return { fileName, mimeType: 'application/json', chunks: chunks() };
}

/** Writes the chosen part of a session as a `.wsi.json` or HAR Blob. */
export async function exportSession(db: InspectorDatabase, scope: ExportScope, format: ExportFormat, options: ExportOptions = {}): Promise<ExportResult> {
  const plan = await planExport(db, scope, format, options);
  const parts: string[] = [];
  for (;;) {
    const next = await plan.chunks.next();
    if (next.done) return { blob: new Blob(parts, { type: plan.mimeType }), fileName: plan.fileName, ...next.value };
    parts.push(next.value);
  }
}
