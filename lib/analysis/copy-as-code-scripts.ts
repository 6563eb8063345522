/**
 * Copy as a program: a browser JavaScript snippet (DevTools console), a Node script with the `ws` package
 * (CommonJS, so it runs as `node replay.cjs` wherever `ws` resolves, NODE_PATH included), and a Python script
 * with `websockets` (asyncio). Each opens the connection with the subprotocols, waits for it to open, sends
 * every frame in order (text as text, binary decoded from base64 into bytes), prints what it receives (text as
 * is, binary as hex) and closes after the wait. Every string is an escaped literal (code-quoting.ts).
 */
import { jsString, pythonString } from './code-quoting';
import { DEFAULT_WAIT_MS, type CodeFrame, type CodeOptions, type CodeTarget, type CopiedCode } from './copy-as-code-model';
import { bytesToBase64 } from '../shared/wire';

const BINARY_NOTE = 'Binary frames are written as base64 and decoded to bytes before sending.';

function jsList(items: string[], indent: string): string {
  return items.length === 0 ? '[]' : `[\n${items.map((i) => `${indent}  ${i},`).join('\n')}\n${indent}]`;
}

export function browserSnippet(target: CodeTarget, frames: CodeFrame[], options: CodeOptions): CopiedCode {
  const items = frames.map((f) => (f.opcode === 1 ? jsString(f.text) : `fromBase64(${jsString(bytesToBase64(f.bytes))})`));
  const code = `// Paste into the DevTools console (the page's Content-Security-Policy must allow connecting to the URL).
(() => {
  const fromBase64 = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const frames = ${jsList(items, '  ')};
  const socket = new WebSocket(${jsString(target.url)}, ${jsList(target.protocols.map(jsString), '  ')});
  socket.binaryType = 'arraybuffer';
  socket.addEventListener('open', () => {
    for (const frame of frames) socket.send(frame);
    setTimeout(() => socket.close(1000), ${options.waitMs ?? DEFAULT_WAIT_MS});
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data === 'string') console.log(event.data);
    else console.log('binary', [...new Uint8Array(event.data)].map((b) => b.toString(16).padStart(2, '0')).join(''));
  });
  socket.addEventListener('close', (event) => console.log('closed', event.code, event.reason));
  socket.addEventListener('error', () => console.error('WebSocket error'));
})();
`;
  const notes = ['Runs in the DevTools console of a page whose Content-Security-Policy allows the connection; the browser sends its own Origin and cookies.'];
  if (frames.some((f) => f.opcode === 2)) notes.push(BINARY_NOTE);
  return { format: 'browser', label: 'JavaScript (browser)', language: 'javascript', code, notes, complete: true };
}

export function nodeScript(target: CodeTarget, frames: CodeFrame[], options: CodeOptions): CopiedCode {
  const items = frames.map((f) => (f.opcode === 1 ? jsString(f.text) : `Buffer.from(${jsString(bytesToBase64(f.bytes))}, 'base64')`));
  const code = `// Node.js with the ws package: save as replay.cjs, then run: npm install ws && node replay.cjs
const WebSocket = require('ws');

const frames = ${jsList(items, '')};
const socket = new WebSocket(${jsString(target.url)}, ${jsList(target.protocols.map(jsString), '')});
socket.on('open', () => {
  // Strings go as text frames, Buffers as binary frames, in this order.
  for (const frame of frames) socket.send(frame);
  setTimeout(() => socket.close(1000), ${options.waitMs ?? DEFAULT_WAIT_MS});
});
socket.on('message', (data, isBinary) => {
  console.log(isBinary ? \`binary \${data.toString('hex')}\` : data.toString('utf8'));
});
socket.on('close', (code, reason) => console.log(\`closed \${code} \${reason}\`));
socket.on('error', (error) => {
  console.error(error.message);
  process.exitCode = 1;
});
`;
  const notes = ['Save as replay.cjs (CommonJS) and run with node after npm install ws.'];
  if (frames.some((f) => f.opcode === 2)) notes.push(BINARY_NOTE);
  return { format: 'node', label: 'JavaScript (Node, ws)', language: 'javascript', code, notes, complete: true };
}

export function pythonScript(target: CodeTarget, frames: CodeFrame[], options: CodeOptions): CopiedCode {
  const items = frames.map((f) => (f.opcode === 1 ? pythonString(f.text) : `base64.b64decode(${pythonString(bytesToBase64(f.bytes))})`));
  const list = (xs: string[]) => (xs.length === 0 ? '[]' : `[\n${xs.map((x) => `    ${x},`).join('\n')}\n]`);
  const code = `# Python 3 with websockets (pip install websockets, or Debian's python3-websockets): save as replay.py, run: python3 replay.py
import asyncio
import base64

import websockets

URL = ${pythonString(target.url)}
SUBPROTOCOLS = ${list(target.protocols.map(pythonString))}
# str frames go as text, bytes as binary, in this order.
FRAMES = ${list(items)}


async def main():
    async with websockets.connect(URL, subprotocols=SUBPROTOCOLS or None, max_size=None) as socket:

        async def print_replies():
            async for message in socket:
                print("binary " + message.hex() if isinstance(message, bytes) else message, flush=True)

        replies = asyncio.create_task(print_replies())
        for frame in FRAMES:
            await socket.send(frame)
        await asyncio.sleep(${(options.waitMs ?? DEFAULT_WAIT_MS) / 1000})
        replies.cancel()


asyncio.run(main())
`;
  const notes = ['Needs Python 3.8 or later with the websockets package.'];
  if (frames.some((f) => f.opcode === 2)) notes.push(BINARY_NOTE);
  return { format: 'python', label: 'Python (websockets)', language: 'python', code, notes, complete: true };
}
