/**
 * What the I/O worker does with each request from the panel (lib/shared/protocol/io.ts IoWorkerRequest): an
 * import, a Blob export, or a streamed export whose bytes go to the service worker's download; progress and the
 * result (or the error, in words) are posted back. The worker script only wires this to `self`
 * (lib/io/session-io-worker.ts); tests drive it with fake-indexeddb.
 */
import { listConnections, openFrameStore, type InspectorDatabase } from '../store/frame-store';
import { bothMatch, compileFilter, type RowMatcher } from '../shared/filters';
import type { ExportProducerMessage, IoWorkerRequest, IoWorkerResponse, PlainExportScope, WorkerExportScope } from '../shared/protocol/io';
import { decodedRowMatcher } from '../decoders/connection-decoders';
import { produceExportStream } from './export-stream-producer';
import { exportSession, planExport, type ExportScope } from './export-plan';
import { importFile } from './session-import';

/** The export scope a worker scope stands for: a filtered view's filter (and decoded query) become its predicate. */
export async function toExportScope(db: InspectorDatabase, scope: WorkerExportScope): Promise<ExportScope> {
  if (scope.kind === 'filtered' && 'filter' in scope) {
    let decoded: RowMatcher | null = null;
    if (scope.decoded && scope.decoded.query.trim() !== '') {
      const connections = new Map((await listConnections(db, scope.sessionId)).map((c) => [c.id, c]));
      decoded = decodedRowMatcher(scope.decoded.query, scope.decoded.decoderIds, connections);
    }
    const range = scope.timeRange;
    const inRange: RowMatcher | null = range ? (row) => row.time >= range.from && row.time <= range.to : null;
    const predicate = bothMatch(bothMatch(compileFilter(scope.filter).matches, decoded), inRange) ?? (() => true);
    return { kind: 'filtered', sessionId: scope.sessionId, connectionIds: scope.connectionIds, predicate };
  }
  return scope as PlainExportScope;
}

/**
 * A handler of the panel's requests that answers with `post`. Each job opens the store (`openDb`) and closes it
 * when done. A 'cancel' request cancels the running streamed export (a Blob job is cancelled by terminating the
 * worker); it is for the worker's one job, so it stays cancelled.
 */
export function createIoRequestHandler(post: (message: IoWorkerResponse) => void, openDb: () => Promise<InspectorDatabase> = openFrameStore): (request: IoWorkerRequest) => Promise<void> {
  const cancelStream = new AbortController();
  return async (request) => {
    if (request.type === 'cancel') {
      cancelStream.abort();
      return;
    }
    let db;
    try {
      db = await openDb();
      if (request.type === 'import') {
        const result = await importFile(db, request.file, {
          maxBytes: request.maxBytes,
          onProgress: (done, total) => post({ type: 'progress', done, total }),
        });
        post({ type: 'imported', result });
      } else if (request.type === 'export-stream') {
        const store = db;
        const plan = await toExportScope(store, request.scope)
          .then((scope) => planExport(store, scope, request.format, { includeSecrets: request.includeSecrets, onProgress: (done) => post({ type: 'progress', done }) }))
          .catch((error: unknown) => {
            // Nothing to offer: let the service worker forget the token now rather than when it expires.
            request.port.postMessage({ type: 'abort', message: error instanceof Error ? error.message : String(error) } satisfies ExportProducerMessage);
            request.port.close();
            throw error;
          });
        const totals = await produceExportStream(plan, request.port, {
          onReady: () => post({ type: 'stream-ready' }),
          onStarted: () => post({ type: 'stream-started', fileName: plan.fileName }),
          signal: cancelStream.signal,
        });
        post({ type: 'streamed', fileName: plan.fileName, rows: totals.rows, connections: totals.connections });
      } else {
        const result = await exportSession(db, await toExportScope(db, request.scope), request.format, {
          includeSecrets: request.includeSecrets,
          onProgress: (done) => post({ type: 'progress', done }),
        });
        post({ type: 'exported', blob: result.blob, fileName: result.fileName, rows: result.rows, connections: result.connections });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      post({ type: 'error', message });
    } finally {
      db?.close();
    }
  };
}
