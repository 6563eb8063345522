/**
 * Runs imports and exports off the panel's main thread: a module Worker (bundled by Vite from
 * `new Worker(new URL('../io/session-io-worker.ts', import.meta.url), { type: 'module' })` in session-io-client.ts).
 * It opens the same extension-origin IndexedDB as the panel, so a 200 MB file is read, parsed, validated and
 * stored here, and an export's Blob is built here; only progress and the result cross back. A streamed export
 * (lib/io/export-stream.ts) is encoded here too: its bytes go from here to the service worker's download directly.
 */
import { listConnections, openFrameStore, type InspectorDatabase } from '../store/frame-store';
import { bothMatch, compileFilter, type RowMatcher } from '../shared/filters';
import { decodedRowMatcher } from '../decoders/connection-decoders';
import { produceExportStream, type ExportProducerMessage } from './export-stream';
import { ImportError, exportSession, importFile, planExport, type ExportScope } from './session-io';
import type { IoWorkerRequest, IoWorkerResponse, WorkerExportScope } from '../panel/session-io-client';

const post = (message: IoWorkerResponse) => (self as unknown as Worker).postMessage(message);

async function toExportScope(db: InspectorDatabase, scope: WorkerExportScope): Promise<ExportScope> {
  if (scope.kind === 'filtered' && 'filter' in scope) {
    let decoded: RowMatcher | null = null;
    if (scope.decoded && scope.decoded.query.trim() !== '') {
      const connections = new Map((await listConnections(db, scope.sessionId)).map((c) => [c.id, c]));
      decoded = decodedRowMatcher(scope.decoded.query, scope.decoded.decoderIds, connections);
    }
    const predicate = bothMatch(compileFilter(scope.filter).matches, decoded) ?? (() => true);
    return { kind: 'filtered', sessionId: scope.sessionId, connectionIds: scope.connectionIds, predicate };
  }
  return scope as ExportScope;
}

/** Cancels the running streamed export (a Blob job is cancelled by terminating the worker). */
const cancelStream = new AbortController();

self.onmessage = async (event: MessageEvent<IoWorkerRequest>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    cancelStream.abort();
    return;
  }
  let db;
  try {
    db = await openFrameStore();
    if (request.type === 'import') {
      const result = await importFile(db, request.file, {
        maxBytes: request.maxBytes,
        onProgress: (done, total) => post({ type: 'progress', done, total }),
      });
      post({ type: 'imported', result });
    } else if (request.type === 'export-stream') {
      const store = db;
      const plan = await toExportScope(store, request.scope)
        .then((scope) => planExport(store, scope, request.format, { onProgress: (done) => post({ type: 'progress', done }) }))
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
        onProgress: (done) => post({ type: 'progress', done }),
      });
      post({ type: 'exported', blob: result.blob, fileName: result.fileName, rows: result.rows, connections: result.connections });
    }
  } catch (error) {
    const message = error instanceof ImportError || error instanceof Error ? error.message : String(error);
    post({ type: 'error', message });
  } finally {
    db?.close();
  }
};
