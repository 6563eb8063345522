/** A JSON-RPC conversation stored through the capture writer, for the conversation worker's tests. */
import { openFrameStore, type InspectorDatabase } from '@/lib/store/schema';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';

let dbCounter = 0;
export const freshDb = (): Promise<InspectorDatabase> => openFrameStore(`conversation-${dbCounter++}`);

export const SESSION = 's';
export const PAGE_URL = 'https://app.example/chat';

export const connect = (connectionId: string): WireEvent => ({ k: 'connect', connectionId, url: `wss://x/${connectionId}`, protocols: [], frameUrl: '', time: 0 });

export function frame(connectionId: string, seq: number, time: number, dir: 'send' | 'receive', payload: string): WireFrameEvent {
  return { k: 'frame', connectionId, seq, time, dir, opcode: 1, encoding: 'text', payload, size: payload.length, origin: 'page', status: 'sent' };
}

export async function store(db: InspectorDatabase, events: WireEvent[]): Promise<void> {
  await ensureSession(db, newSession({ id: SESSION, pageUrl: PAGE_URL, startedAt: 1 }));
  await writeEvents(db, SESSION, PAGE_URL, events);
}

/**
 * `n` JSON-RPC calls on `rpc`: request i at t0 + 10·i, its answer 3 requests later (latency 30 + i % 7 ms), none for
 * i % 100 = 50; `{"type":"ping"}` every 1 s on `beat`; `rpc` closes at the end. Returned in batches of about
 * `batch` events, as a page's capture stores them.
 */
export function rpcConversation(n: number, t0: number, batch = Infinity): WireEvent[][] {
  const events: WireEvent[] = [connect('rpc'), connect('beat')];
  const seqs = { rpc: 0, beat: 0 };
  const pending: Array<{ id: number; at: number }> = [];
  const next = (c: 'rpc' | 'beat') => ++seqs[c];
  for (let i = 0; i < n; i++) {
    const t = t0 + 10 * i;
    events.push(frame('rpc', next('rpc'), t, 'send', JSON.stringify({ jsonrpc: '2.0', id: i, method: i % 2 ? 'slow' : 'fast', params: [i] })));
    if (i % 100 !== 50) pending.push({ id: i, at: t + 30 + (i % 7) });
    while (pending.length > 0 && pending[0].at <= t + 10) {
      const answer = pending.shift()!;
      events.push(frame('rpc', next('rpc'), answer.at, 'receive', JSON.stringify({ jsonrpc: '2.0', id: answer.id, result: answer.id })));
    }
    if (i % 100 === 0) events.push(frame('beat', next('beat'), t, 'receive', '{"type":"ping"}'));
  }
  for (const answer of pending) events.push(frame('rpc', next('rpc'), answer.at, 'receive', JSON.stringify({ jsonrpc: '2.0', id: answer.id, result: answer.id })));
  events.push({ k: 'close', connectionId: 'rpc', seq: next('rpc'), time: t0 + 10 * n + 100, code: 1000, reason: '', wasClean: true });
  const batches: WireEvent[][] = [];
  for (let i = 0; i < events.length; i += batch) batches.push(events.slice(i, i + batch));
  return batches;
}
