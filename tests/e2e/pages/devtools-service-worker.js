// A service worker that opens a WebSocket (tests/e2e/devtools-network.spec.ts): the page posts the socket's URL, the
// worker sends one message and posts back the echo. The page hook does not run in workers.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  event.waitUntil(
    new Promise((resolve) => {
      const ws = new WebSocket(event.data);
      ws.onopen = () => ws.send('hello from the service worker');
      ws.onmessage = (m) => {
        event.source.postMessage(m.data);
        resolve();
      };
      ws.onerror = () => {
        event.source.postMessage('error');
        resolve();
      };
    }),
  );
});
