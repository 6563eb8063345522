/**
 * Stream items in the panel's conversation slice: a GraphQL subscription stored through the capture writer, read by
 * the conversation worker's handler in-process, its patches merged into the panel's tables; what pairOf says of each
 * row, what the Latency column shows, and that a live run (rows stored while it reads) ends as one run does.
 */
import './runes';
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { ConversationState, siteOf } from '@/lib/panel/conversation-state.svelte';
import type { ConversationChannel } from '@/lib/panel/conversation-job';
import { ConversationTables } from '@/lib/panel/conversation-tables';
import { GRID_COLUMNS, type CellContext } from '@/lib/panel/grid-columns';
import { ConversationEngine } from '@/lib/io/conversation-engine';
import { createConversationHandler, type ConversationReply } from '@/lib/io/conversation-handler';
import type { InspectorDatabase } from '@/lib/store/frame-store';
import { sessionFrames } from '@/lib/store/read';
import type { FrameRecord } from '@/lib/shared/records';
import type { WireEvent } from '@/lib/shared/protocol';
import { memorySettings, until } from './fixtures';
import { SESSION, connect, frame, freshDb, store } from '../io/conversation-worker-fixtures';

vi.setConfig({ testTimeout: 30_000 });

function inProcess(db: InspectorDatabase): ConversationChannel {
  let listener: (reply: ConversationReply) => void = () => undefined;
  const handle = createConversationHandler((reply) => void Promise.resolve().then(() => listener(reply)), async () => db);
  return { post: (request) => void handle(structuredClone(request)), onReply: (next) => (listener = next), close: () => undefined };
}

const DECODERS = { gql: 'graphql-ws' };

/**
 * On `gql`: connection_init/ack, subscribe `s1` (seq 3) at t0 + 10, three `next` 100 ms apart from t0 + 52, then
 * `complete`, then a stray `next`; in two batches split between the first and the second `next`.
 */
function subscription(t0: number): [WireEvent[], WireEvent[]] {
  const m = (message: Parameters<typeof stringifyMessage>[0]) => stringifyMessage(message);
  const next = (tick: number) => m({ id: 's1', type: MessageType.Next, payload: { data: { tick } } });
  const first: WireEvent[] = [
    connect('gql'),
    frame('gql', 1, t0, 'send', m({ type: MessageType.ConnectionInit })),
    frame('gql', 2, t0 + 2, 'receive', m({ type: MessageType.ConnectionAck })),
    frame('gql', 3, t0 + 10, 'send', m({ id: 's1', type: MessageType.Subscribe, payload: { query: 'subscription OnTick { tick }' } })),
    frame('gql', 4, t0 + 52, 'receive', next(1)),
  ];
  const second: WireEvent[] = [
    frame('gql', 5, t0 + 152, 'receive', next(2)),
    frame('gql', 6, t0 + 252, 'receive', next(3)),
    frame('gql', 7, t0 + 260, 'receive', m({ id: 's1', type: MessageType.Complete })),
    frame('gql', 8, t0 + 270, 'receive', next(4)),
  ];
  return [first, second];
}

const bySeq = (rows: FrameRecord[], seq: number) => rows.find((r) => r.connectionId === 'gql' && r.seq === seq)!;

const latency = GRID_COLUMNS.find((c) => c.id === 'latency')!;
const cell = (row: FrameRecord, pair: CellContext['pair']): CellContext => ({ timeMode: 'relative', connectionStart: undefined, connectionLabel: '#1', summary: '', pair });

describe('stream items in the conversation slice', () => {
  it('ties each later next to its subscribe (index, time since it), the request keeps its first-response latency; shown in the Latency column', async () => {
    const db = await freshDb();
    const t0 = Date.now();
    const [first, second] = subscription(t0);
    const conversation = new ConversationState(memorySettings(), { channel: () => inProcess(db), continueMs: 0 });
    const scope = { sessionId: SESSION, site: siteOf('https://app.example/chat'), decoderIds: DECODERS };
    // Live: the subscribe and its first next are read, then the rest arrives.
    await store(db, first);
    await conversation.show(scope);
    await until(() => !conversation.busy);
    await store(db, second);
    const version = conversation.version;
    await conversation.show(scope);
    await until(() => !conversation.busy && conversation.version > version);
    const rows = await sessionFrames(db, SESSION);

    expect(conversation.pairOf(bySeq(rows, 3))).toEqual({ role: 'request', partnerSeq: 4, latencyMs: 42, label: 'OnTick' });
    expect(conversation.pairOf(bySeq(rows, 4))).toEqual({ role: 'response', partnerSeq: 3, latencyMs: 42, label: 'OnTick' });
    // latencyMs is the stream's (a "slower than" filter keeps or hides it whole); the item's own time is sinceRequestMs.
    expect(conversation.pairOf(bySeq(rows, 5))).toEqual({ role: 'item', partnerSeq: 3, latencyMs: 42, label: 'OnTick', sinceRequestMs: 142, index: 2, end: false });
    expect(conversation.pairOf(bySeq(rows, 6))).toEqual({ role: 'item', partnerSeq: 3, latencyMs: 42, label: 'OnTick', sinceRequestMs: 242, index: 3, end: false });
    expect(conversation.pairOf(bySeq(rows, 7))).toEqual({ role: 'item', partnerSeq: 3, latencyMs: 42, label: 'OnTick', sinceRequestMs: 250, index: 4, end: true });
    expect(conversation.pairOf(bySeq(rows, 8))).toBeUndefined();
    expect(conversation.isUnanswered(bySeq(rows, 3))).toBe(false);
    expect(conversation.result?.connections[0].pairing).toMatchObject({ pairs: 2, streamItems: 3, streams: 0 });
    expect(conversation.result?.connections[0].latency.byLabel.find((l) => l.label === 'OnTick')).toMatchObject({ count: 1, max: 42 });

    const text = (seq: number) => latency.text(bySeq(rows, seq), cell(bySeq(rows, seq), conversation.pairOf(bySeq(rows, seq))));
    const title = (seq: number) => latency.title!(bySeq(rows, seq), cell(bySeq(rows, seq), conversation.pairOf(bySeq(rows, seq))));
    expect([3, 4, 5, 6, 7, 8].map(text)).toEqual(['↪ 42 ms', '↩ 42 ms', '↩ +142 ms #2', '↩ +242 ms #3', '↩ +250 ms end', '']);
    expect(title(6)).toBe('Item 3 of the stream opened by #3 (OnTick), 242 ms after it. Click to go to the request.');
    expect(title(7)).toBe('End of the stream opened by #3 (OnTick), 250 ms after it (answer 4). Click to go to the request.');
  });

  it('tables merged from live patches equal one run over the whole session; connections without streams carry no item array', async () => {
    const t0 = Date.now();
    const [first, second] = subscription(t0);
    const rpc: WireEvent[] = [connect('rpc'), frame('rpc', 1, t0 + 1, 'send', '{"jsonrpc":"2.0","id":1,"method":"m"}'), frame('rpc', 2, t0 + 9, 'receive', '{"jsonrpc":"2.0","id":1,"result":0}')];
    const answers = (tables: ConversationTables) =>
      [...Array(8).keys()].map((i) => tables.pairOf('gql', i + 1) ?? null).concat([tables.pairOf('rpc', 1) ?? null, tables.pairOf('rpc', 2) ?? null]);

    const live = await freshDb();
    const liveEngine = new ConversationEngine(live, { sessionId: SESSION, decoderIds: { ...DECODERS, rpc: 'json-rpc' } });
    const liveTables = new ConversationTables();
    const patches = [];
    for (const batch of [first, rpc, second]) {
      await store(live, batch);
      await liveEngine.step(Infinity);
      const update = liveEngine.update();
      patches.push(...update.patches);
      liveTables.apply(update.patches);
    }
    const whole = await freshDb();
    await store(whole, [...first, ...rpc, ...second]);
    const wholeEngine = new ConversationEngine(whole, { sessionId: SESSION, decoderIds: { ...DECODERS, rpc: 'json-rpc' } });
    await wholeEngine.step(Infinity);
    const wholeTables = new ConversationTables();
    wholeTables.apply(wholeEngine.update().patches);

    expect(answers(liveTables)).toEqual(answers(wholeTables));
    expect(wholeTables.pairOf('gql', 6)).toMatchObject({ role: 'item', index: 3 });
    expect(patches.filter((p) => p.connectionId === 'rpc').every((p) => p.item === undefined)).toBe(true);
    expect(patches.some((p) => p.connectionId === 'gql' && p.item !== undefined)).toBe(true);
  });
});
