/** Raw CDP for the DevTools specs: Playwright hides DevTools targets, so they are driven over /json/list. */
import WebSocket from 'ws';

export interface TargetInfo {
  type: string;
  url: string;
  webSocketDebuggerUrl?: string;
}

/** Evaluates `expression` in a CDP target and returns its value (throws on an exception). */
export async function evaluateIn(target: TargetInfo, expression: string): Promise<unknown> {
  const socket = new WebSocket(target.webSocketDebuggerUrl!);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  try {
    socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }));
    const reply = await new Promise<{ result?: { result?: { value?: unknown }; exceptionDetails?: { text: string } } }>((resolve, reject) => {
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.id === 1) resolve(msg);
      });
      setTimeout(() => reject(new Error('CDP evaluate timed out')), 5000);
    });
    if (reply.result?.exceptionDetails) throw new Error(reply.result.exceptionDetails.text);
    return reply.result?.result?.value;
  } finally {
    socket.close();
  }
}
