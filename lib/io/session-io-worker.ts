/**
 * Runs imports and exports off the panel's main thread: a module Worker (bundled by Vite from
 * `new Worker(new URL('../io/session-io-worker.ts', import.meta.url), { type: 'module' })` in
 * lib/panel/io-worker-job.ts). It opens the same extension-origin IndexedDB as the panel, so a 200 MB file is read,
 * parsed, validated and stored here, and an export's Blob is built here; only progress and the result cross back.
 * A streamed export (lib/io/export-stream-producer.ts) is encoded here too: its bytes go from here to the service
 * worker's download directly. What each request does is lib/io/io-request-handler.ts.
 */
import type { IoWorkerRequest, IoWorkerResponse } from '../shared/protocol/io';
import { createIoRequestHandler } from './io-request-handler';

const handle = createIoRequestHandler((message: IoWorkerResponse) => (self as unknown as Worker).postMessage(message));

self.onmessage = (event: MessageEvent<IoWorkerRequest>) => void handle(event.data);
