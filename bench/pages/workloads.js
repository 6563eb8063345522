// The page side of the benchmark: plain page code, as a site would write it. Every function opens its own
// socket, starts timing (performance.now()) only once the socket is open and its payloads are built, and
// closes the socket when done (waiting for the close event, so the close is part of what gets captured).
'use strict';

function openSocket(url, binaryType) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = binaryType ?? 'arraybuffer';
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`could not open ${url}`));
  });
}

function closeSocket(ws) {
  return new Promise((resolve) => {
    ws.onclose = () => resolve();
    ws.close(1000, 'done');
  });
}

function payload(size, binary) {
  if (!binary) return 'p'.repeat(size);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i & 0xff;
  return bytes;
}

/** `n` round trips: send, wait for the echo, send again. */
async function pingPong(url, n, size) {
  const ws = await openSocket(url);
  const message = payload(size, false);
  const ms = await new Promise((resolve) => {
    let left = n;
    const t0 = performance.now();
    ws.onmessage = () => {
      if (--left === 0) resolve(performance.now() - t0);
      else ws.send(message);
    };
    ws.send(message);
  });
  await closeSocket(ws);
  return { ms };
}

/** `n` messages sent back to back; the time until the last echo has arrived. */
async function stream(url, n, size, binary) {
  const ws = await openSocket(url);
  const message = payload(size, binary);
  let received = 0;
  let bytes = 0;
  const ms = await new Promise((resolve) => {
    const t0 = performance.now();
    ws.onmessage = (e) => {
      bytes += typeof e.data === 'string' ? e.data.length : e.data.byteLength;
      if (++received === n) resolve(performance.now() - t0);
    };
    for (let i = 0; i < n; i++) ws.send(message);
  });
  await closeSocket(ws);
  if (bytes !== n * size) throw new Error(`echoed ${bytes} bytes, expected ${n * size}`);
  return { ms };
}

/** The server sends `n` messages on open; resolves when the last one has arrived, with its wall-clock time. */
function burst(url, n) {
  return new Promise((resolve, reject) => {
    let received = 0;
    let t0 = 0;
    const ws = new WebSocket(url);
    ws.onopen = () => (t0 = performance.now());
    ws.onerror = () => reject(new Error(`could not open ${url}`));
    ws.onmessage = () => {
      if (++received < n) return;
      const t = performance.now();
      resolve({ ms: t - t0, lastArrivalWallClock: performance.timeOrigin + t });
      ws.onmessage = null;
    };
  });
}

/** Long tasks seen since the observer started; `since` filters out the set-up. */
const longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push({ startTime: entry.startTime, duration: entry.duration });
}).observe({ type: 'longtask', buffered: true });

/**
 * One text and one binary frame of `size` bytes, each sent and echoed back (so each is both sent and
 * received). Returns the echo times and the time the measured window started; long tasks are read later,
 * once the extension had time to finish its own work (see longTasksSince).
 */
async function bigFrames(url, size) {
  const ws = await openSocket(url);
  const text = 'x'.repeat(size);
  const binary = payload(size, true);
  const windowStart = performance.now();
  const echo = (message) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      ws.onmessage = (e) => {
        const got = typeof e.data === 'string' ? e.data.length : e.data.byteLength;
        if (got !== size) reject(new Error(`echo of ${got} bytes, expected ${size}`));
        else resolve(performance.now() - t0);
      };
      ws.send(message);
    });
  const textMs = await echo(text);
  const binaryMs = await echo(binary);
  await closeSocket(ws);
  return { textMs, binaryMs, windowStart };
}

function longTasksSince(start) {
  return longTasks.filter((t) => t.startTime >= start);
}

window.bench = { pingPong, stream, burst, bigFrames, longTasksSince };
