import './runes';
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { ConversationState, pairPathsKey, siteOf, type ConversationScope } from '@/lib/panel/conversation-state.svelte';
import type { ConversationChannel } from '@/lib/panel/conversation-job';
import { createConversationHandler, type ConversationReply, type ConversationRequest } from '@/lib/io/conversation-handler';
import type { InspectorDatabase } from '@/lib/store/frame-store';
import { sessionFrames } from '@/lib/store/read';
import type { FrameRecord } from '@/lib/shared/records';
import { memorySettings, until } from './fixtures';
import { SESSION, connect, frame, freshDb, rpcConversation, store } from '../io/conversation-worker-fixtures';

vi.setConfig({ testTimeout: 30_000 });

/** The worker's handler run in-process, as the worker runs it; requests are recorded. */
function inProcess(db: InspectorDatabase) {
  const requests: ConversationRequest[] = [];
  let listener: (reply: ConversationReply) => void = () => undefined;
  // Replies cross as the worker's do: after the post, never inside it.
  const handle = createConversationHandler((reply) => void Promise.resolve().then(() => listener(reply)), async () => db);
  const channel: ConversationChannel = {
    post(request) {
      requests.push(structuredClone(request));
      void handle(structuredClone(request));
    },
    onReply: (next) => (listener = next),
    close: () => undefined,
  };
  return { channel, requests };
}

async function harness() {
  const db = await freshDb();
  const settings = memorySettings();
  const { channel, requests } = inProcess(db);
  const changed = vi.fn();
  const conversation = new ConversationState(settings, { channel: () => channel, continueMs: 0, changed });
  const scope = (decoderIds: Record<string, string> = { rpc: 'json-rpc' }): ConversationScope => ({ sessionId: SESSION, site: siteOf('https://app.example/chat'), decoderIds });
  const rows = () => sessionFrames(db, SESSION);
  const idle = () => until(() => !conversation.busy);
  return { db, settings, conversation, requests, changed, scope, rows, idle };
}

const byId = (rows: FrameRecord[], id: number, connectionId = 'rpc') => rows.find((r) => r.connectionId === connectionId && typeof r.data === 'string' && JSON.parse(r.data).id === id && 'method' in JSON.parse(r.data))!;

describe('ConversationState', () => {
  it('fills pairs, latency, unanswered requests and heartbeats from the worker, and the figures', async () => {
    const h = await harness();
    const [events] = rpcConversation(300, Date.now());
    await store(h.db, events);
    const version = h.conversation.version;
    await h.conversation.show(h.scope());
    await h.idle();
    const rows = await h.rows();
    const request = byId(rows, 12);
    const pair = h.conversation.pairOf(request)!;
    expect(pair).toMatchObject({ role: 'request', latencyMs: 30 + (12 % 7), label: 'fast' });
    const response = rows.find((r) => r.connectionId === 'rpc' && r.seq === pair.partnerSeq)!;
    expect(h.conversation.pairOf(response)).toEqual({ role: 'response', partnerSeq: request.seq, latencyMs: 35, label: 'fast' });
    expect(h.conversation.isUnanswered(byId(rows, 50))).toBe(true);
    expect(h.conversation.isUnanswered(request)).toBe(false);
    expect(h.conversation.pairOf(byId(rows, 50))).toBeUndefined();
    const ping = rows.find((r) => r.connectionId === 'beat' && r.kind === 'frame')!;
    expect(h.conversation.isHeartbeat(ping)).toBe(true);
    expect(h.conversation.isHeartbeat(request)).toBe(false);
    expect(h.conversation.result?.session.pairs).toBe(297);
    expect(h.conversation.timeline).not.toBeNull();
    expect(h.conversation.version).toBeGreaterThan(version);
    expect(h.conversation.analysed).toBe(rows.length);
    expect(h.changed).toHaveBeenCalled();
  });

  it('goes on from where it stopped as rows arrive, and starts over when a decoder it read with changes', async () => {
    const h = await harness();
    const t0 = Date.now();
    const [first, second] = rpcConversation(200, t0, 250);
    await store(h.db, first);
    await h.conversation.show(h.scope());
    await h.idle();
    await store(h.db, second);
    await h.conversation.show(h.scope({ rpc: 'json-rpc', beat: 'json' }));
    await until(() => h.requests.length === 2);
    await h.idle();
    expect(h.requests.map((r) => r.type)).toEqual(['start', 'continue']);
    // A connection detected since travels with the continue.
    expect(h.requests[1]).toMatchObject({ type: 'continue', decoderIds: { beat: 'json' } });
    const rows = await h.rows();
    expect(h.conversation.pairOf(byId(rows, 190))).toMatchObject({ role: 'request' });
    expect(h.conversation.analysed).toBe(rows.length);

    // "Decode as" another decoder for rpc: its rows were read as JSON-RPC, so everything is read again.
    await h.conversation.show(h.scope({ rpc: 'json', beat: 'json' }));
    await h.idle();
    expect(h.requests.map((r) => r.type)).toEqual(['start', 'continue', 'start']);
    expect(h.conversation.pairOf(byId(rows, 190))).toBeUndefined();
    expect(h.conversation.result?.session.pairs).toBe(0);
  });

  it('keeps JSON paths per site in settings; saving them pairs a custom protocol; clearing forgets them', async () => {
    const h = await harness();
    const t0 = Date.now();
    await store(h.db, [
      connect('c'),
      frame('c', 1, t0, 'send', '{"id":"a1","op":"get"}'),
      frame('c', 2, t0 + 42, 'receive', '{"replyTo":"a1","ok":true}'),
      frame('c', 3, t0 + 50, 'send', '{"id":"a2","op":"put"}'),
      connect('rpc'),
      frame('rpc', 1, t0, 'send', '{"jsonrpc":"2.0","id":"a1","method":"sum"}'),
      frame('rpc', 2, t0 + 7, 'receive', '{"jsonrpc":"2.0","id":"a1","result":3}'),
    ]);
    const scope = h.scope({ rpc: 'json-rpc' });
    await h.conversation.show(scope);
    await h.idle();
    const rows = await h.rows();
    expect(h.conversation.pairOf(rows[0])).toBeUndefined();

    await expect(h.conversation.setPairPaths(scope.site, { request: '$.id', response: '$.*' })).rejects.toThrow(/Response path/);
    expect(h.settings.values.has(pairPathsKey(scope.site))).toBe(false);
    await h.conversation.setPairPaths(scope.site, { request: ' $.id ', response: '$.replyTo' });
    expect(h.settings.values.get('pairPaths:https://app.example')).toEqual({ request: '$.id', response: '$.replyTo' });
    expect(h.conversation.pairPaths(scope.site)).toEqual({ request: '$.id', response: '$.replyTo' });
    await h.idle();
    expect(h.conversation.pairOf(rows[0])).toEqual({ role: 'request', partnerSeq: 2, latencyMs: 42, label: 'get' });
    expect(h.conversation.pairOf(rows[1])).toMatchObject({ role: 'response', partnerSeq: 1 });
    expect(h.requests.at(-1)).toMatchObject({ type: 'start', options: { pairPaths: { request: '$.id', response: '$.replyTo' } } });
    // The paths are for connections without ids of their own: JSON-RPC on the same site keeps its pairs.
    const rpcRequest = rows.find((r) => r.connectionId === 'rpc' && r.seq === 1)!;
    expect(h.conversation.pairOf(rpcRequest)).toEqual({ role: 'request', partnerSeq: 2, latencyMs: 7, label: 'sum' });

    // Another panel reads them back for the site; a malformed stored value is ignored.
    const other = new ConversationState(h.settings, { channel: () => inProcess(h.db).channel });
    expect(await other.loadPairPaths('https://app.example')).toEqual({ request: '$.id', response: '$.replyTo' });
    h.settings.values.set(pairPathsKey('https://bad.example'), { request: '$.*', response: 7 });
    expect(await other.loadPairPaths('https://bad.example')).toBeUndefined();

    await h.conversation.setPairPaths(scope.site, null);
    expect(h.settings.values.has(pairPathsKey(scope.site))).toBe(false);
    await h.idle();
    expect(h.conversation.pairOf(rows[0])).toBeUndefined();
  });

  it('forgets everything when no session is on screen, and drops answers for a session it left', async () => {
    const h = await harness();
    const [events] = rpcConversation(100, Date.now());
    await store(h.db, events);
    void h.conversation.show(h.scope());
    await h.conversation.show({ sessionId: null, site: '', decoderIds: {} });
    await new Promise((r) => setTimeout(r, 50));
    expect(h.conversation.result).toBeNull();
    expect(h.conversation.pairOf(byId(await h.rows(), 10))).toBeUndefined();
    expect(h.conversation.busy).toBe(false);
  });

  it('site of a page: its origin, or "" without one', () => {
    expect(siteOf('https://a.example:8443/x?y')).toBe('https://a.example:8443');
    expect(siteOf('')).toBe('');
    expect(siteOf(undefined)).toBe('');
    expect(siteOf('about:blank')).toBe('');
  });
});
