// Two chat users on one page, each on its own WebSocket speaking chat.v1 (JSON). Everything a peer sends is
// shown with textContent: payloads are text, never HTML.
const root = document.getElementById('chat');
const users = document.createElement('div');
users.className = 'users';
root.append(users);

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function chatUser(name) {
  const status = el('p', { className: 'status', textContent: 'connecting…' });
  const log = el('ul', { className: 'log' });
  log.setAttribute('aria-label', `Messages seen by ${name}`);
  log.setAttribute('aria-live', 'polite');
  const typing = el('p', { className: 'typing' });
  const input = el('input', { type: 'text', autocomplete: 'off', placeholder: `Say something as ${name}` });
  input.setAttribute('aria-label', `Message as ${name}`);
  const send = el('button', { type: 'submit', textContent: `Send as ${name}` });
  const form = el('form', {}, input, send);
  users.append(el('div', { className: 'user' }, el('h3', { textContent: name }), status, log, typing, form));

  const line = (from, text, meta = false) => {
    const item = el('li');
    if (from) item.append(el('span', { className: 'from', textContent: `${from}:` }));
    item.append(el('span', { className: meta ? 'meta' : '', textContent: text }));
    log.append(item);
    log.scrollTop = log.scrollHeight;
  };

  const socket = new WebSocket(`ws://${location.host}/chat`, 'chat.v1');
  const sendJson = (message) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  const typingNow = new Set();
  socket.addEventListener('open', () => {
    status.textContent = `connected (subprotocol ${socket.protocol || 'none'})`;
    sendJson({ type: 'hello', user: name });
  });
  socket.addEventListener('close', (event) => {
    status.textContent = `closed ${event.code}${event.reason ? ` "${event.reason}"` : ''}`;
  });
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      line('', `(not JSON) ${event.data}`, true);
      return;
    }
    switch (message.type) {
      case 'welcome':
        line('', message.motd, true);
        break;
      case 'presence':
        line('', `online: ${message.users.join(', ')}`, true);
        break;
      case 'message':
        line(message.user, message.text);
        break;
      case 'typing':
        if (message.user === name) break;
        if (message.typing) typingNow.add(message.user);
        else typingNow.delete(message.user);
        typing.textContent = typingNow.size ? `${[...typingNow].join(', ')} ${typingNow.size > 1 ? 'are' : 'is'} typing…` : '';
        break;
      case 'error':
        line('', `server: ${message.error}`, true);
        break;
    }
  });

  // Typing indicator: one `typing: true` when typing starts, `typing: false` after 1.5 s without a key or on send.
  let typingTimer = 0;
  const stopTyping = () => {
    if (!typingTimer) return;
    clearTimeout(typingTimer);
    typingTimer = 0;
    sendJson({ type: 'typing', typing: false });
  };
  input.addEventListener('input', () => {
    if (!typingTimer) sendJson({ type: 'typing', typing: true });
    else clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 1500);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    stopTyping();
    sendJson({ type: 'message', text });
    input.value = '';
  });
}

chatUser('Ada');
chatUser('Bob');
