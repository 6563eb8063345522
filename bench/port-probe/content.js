// Runs on the probe page when it dispatches `port-probe` (detail: JSON of the plan) and writes the result into
// <body data-result>. Each post is timed on the page's thread (the synchronous part of postMessage: serializing
// the message and handing it to the browser); posts come in groups of `group`, back to back, one group per `gapMs`.
(() => {
  const port = chrome.runtime.connect({ name: 'port-probe' });
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const drained = () =>
    new Promise((resolve) => {
      const onPong = (message) => {
        if (!message.pong) return;
        port.onMessage.removeListener(onPong);
        resolve();
      };
      port.onMessage.addListener(onPong);
      port.postMessage({ ping: true });
    });
  const payloads = {
    string: (size) => {
      const text = 'x'.repeat(size);
      return () => ({ text });
    },
    arraybuffer: (size) => {
      const bytes = new Uint8Array(size);
      return () => ({ bytes: bytes.slice().buffer });
    },
    blob: (size) => {
      const bytes = new Uint8Array(size);
      return () => ({ blob: new Blob([bytes]) });
    },
  };
  addEventListener('port-probe', async (event) => {
    const { kinds, sizes, groups, group, gapMs } = JSON.parse(event.detail);
    const result = [];
    for (const kind of kinds) {
      for (const size of sizes) {
        const make = payloads[kind](size);
        const perPost = [];
        for (let g = 0; g < groups; g++) {
          const messages = Array.from({ length: group }, make); // made before timing: only the post is timed
          const start = performance.now();
          for (const message of messages) port.postMessage(message);
          perPost.push((performance.now() - start) / group);
          await sleep(gapMs);
        }
        await drained();
        perPost.sort((a, b) => a - b);
        result.push({ kind, size, medianMs: perPost[perPost.length >> 1], p90Ms: perPost[Math.floor(perPost.length * 0.9)] });
      }
    }
    document.body.dataset.result = JSON.stringify(result);
  });
  document.body.dataset.ready = 'true';
})();
