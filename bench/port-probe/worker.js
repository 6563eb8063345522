// Receives the probe's posts and answers a ping, so the probe knows every post before it has arrived.
chrome.runtime.onConnect.addListener((port) => {
  port.onMessage.addListener((message) => {
    if (message && message.ping) port.postMessage({ pong: true });
  });
});
