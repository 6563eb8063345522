import { startWorker } from '@/lib/worker/start-worker';
import { installExportStreamHandler, serviceWorkerHost } from '@/lib/worker/export-stream';

// The background: capture ports from relays, panel ports, storage (lib/worker/start-worker.ts).
export default defineBackground(() => {
  // Streamed export downloads (Chrome's service worker only; Firefox's event page gets no fetch events).
  const host = serviceWorkerHost(globalThis);
  if (host) installExportStreamHandler(host, { log: (error) => console.error('[websocket-inspector]', error) });

  startWorker(browser, (error) => console.error('[websocket-inspector]', error));
});
