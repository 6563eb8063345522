// Four ticker feeds on their own WebSockets: plain text lines, JSON quotes (after a subscribe message), binary
// price updates packed in a DataView, and a news feed the server rotates with close code 4000 (we reconnect).
const root = document.getElementById('ticker');
const base = `ws://${location.host}/ticker`;
const SYMBOLS = ['ACME', 'GLOBX', 'INITECH', 'UMBRL', 'WONKA']; // index order of the binary feed (demo/server.mjs)

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function feed(title) {
  const status = el('span', { className: 'status', textContent: ' connecting…' });
  const box = el('div', { className: 'feed' }, el('h3', { textContent: title }, status));
  root.append(box);
  return { box, status };
}

function logList(box, label, keep = 6) {
  const list = el('ul', { className: 'log' });
  list.style.height = 'auto';
  list.setAttribute('aria-label', label);
  box.append(list);
  return (text) => {
    list.prepend(el('li', { textContent: text }));
    while (list.children.length > keep) list.lastElementChild.remove();
  };
}

// Binary: prices table, updated from 18-byte frames (u8 kind, u8 symbol, u32 seq, f64 price, i32 volume).
{
  const { box, status } = feed('Prices (binary frames)');
  const body = el('tbody');
  const cells = new Map();
  for (const symbol of SYMBOLS) {
    const price = el('td', { textContent: '—' });
    const volume = el('td', { textContent: '—' });
    const seq = el('td', { textContent: '—' });
    cells.set(symbol, { price, volume, seq, last: 0 });
    body.append(el('tr', {}, el('th', { scope: 'row', textContent: symbol }), price, volume, seq));
  }
  const head = el('thead', {}, el('tr', {}, ...['Symbol', 'Price', 'Volume', 'Seq'].map((t) => el('th', { scope: 'col', textContent: t }))));
  box.append(el('table', {}, head, body));
  const socket = new WebSocket(`${base}/binary`);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => (status.textContent = ' open');
  socket.onclose = (e) => (status.textContent = ` closed ${e.code}`);
  socket.onmessage = (event) => {
    const view = new DataView(event.data);
    if (view.byteLength !== 18 || view.getUint8(0) !== 1) return;
    const row = cells.get(SYMBOLS[view.getUint8(1)]);
    if (!row) return;
    const price = view.getFloat64(6);
    row.price.textContent = price.toFixed(2);
    row.price.className = price >= row.last ? 'up' : 'down';
    row.last = price;
    row.volume.textContent = String(view.getInt32(14));
    row.seq.textContent = String(view.getUint32(2));
  };
}

// Text: quote lines as the server sends them.
{
  const { box, status } = feed('Tape (text frames)');
  const add = logList(box, 'Text quotes');
  const socket = new WebSocket(`${base}/text`);
  socket.onopen = () => (status.textContent = ' open');
  socket.onclose = (e) => (status.textContent = ` closed ${e.code}`);
  socket.onmessage = (event) => add(event.data);
}

// JSON: subscribe to three symbols, then show quotes.
{
  const { box, status } = feed('Quotes (JSON frames, subscribed to ACME, GLOBX, WONKA)');
  const add = logList(box, 'JSON quotes');
  const socket = new WebSocket(`${base}/json`);
  socket.onopen = () => {
    status.textContent = ' open';
    socket.send(JSON.stringify({ type: 'subscribe', symbols: ['ACME', 'GLOBX', 'WONKA'] }));
  };
  socket.onclose = (e) => (status.textContent = ` closed ${e.code}`);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'quote') add(`${message.symbol} ${message.price.toFixed(2)} (${message.change >= 0 ? '+' : ''}${message.change}%) vol ${message.volume}`);
    else if (message.type === 'subscribed') add(`subscribed: ${message.symbols.join(', ')}`);
  };
}

// News: the server closes it every few seconds with 4000 "feed rotated, please reconnect"; reconnect after 500 ms.
{
  const { box, status } = feed('News (closed by the server with a code and reason, then reconnects)');
  const add = logList(box, 'Headlines', 4);
  let attempt = 0;
  const connect = () => {
    attempt++;
    const socket = new WebSocket(`${base}/news`);
    socket.onopen = () => (status.textContent = ` open (connection ${attempt})`);
    socket.onmessage = (event) => add(JSON.parse(event.data).text);
    socket.onclose = (event) => {
      status.textContent = ` closed ${event.code} "${event.reason}", reconnecting…`;
      setTimeout(connect, 500);
    };
  };
  connect();
}
