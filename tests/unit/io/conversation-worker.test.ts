import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { ConversationEngine, type ConversationUpdate } from '@/lib/io/conversation-engine';
import { createConversationHandler, type ConversationReply } from '@/lib/io/conversation-handler';
import { ConversationTables } from '@/lib/panel/conversation-tables';
import { sessionFrames } from '@/lib/store/read';
import { SESSION, freshDb, rpcConversation, store } from './conversation-worker-fixtures';

vi.setConfig({ testTimeout: 60_000 });

const N = 1200;
const DECODERS = { rpc: 'json-rpc' };

/** Every row's answers, as the panel reads them after merging the patches. */
function answers(tables: ConversationTables, seqs: Record<string, number>) {
  const out: string[] = [];
  for (const [id, last] of Object.entries(seqs)) {
    for (let seq = 1; seq <= last; seq++) {
      const pair = tables.pairOf(id, seq);
      out.push(`${id}#${seq} ${pair ? `${pair.role} ${pair.partnerSeq} ${pair.latencyMs} ${pair.label}` : '-'} ${tables.isUnanswered(id, seq) ? 'U' : ''}${tables.isHeartbeat(id, seq) ? 'H' : ''}`);
    }
  }
  return out;
}

const figures = (u: ConversationUpdate) => JSON.stringify({ result: u.result, timeline: u.timeline, series: Array.from(u.timeline.all.sentMessages) });

describe('ConversationEngine', () => {
  it('continues run after run as rows are stored, and ends where one run over the whole session ends', async () => {
    const t0 = Date.now();
    const batches = rpcConversation(N, t0, 97);
    const live = await freshDb();
    const liveEngine = new ConversationEngine(live, { sessionId: SESSION, decoderIds: DECODERS });
    const liveTables = new ConversationTables();
    let last: ConversationUpdate | undefined;
    let patchedRows = 0;
    for (const batch of batches) {
      await store(live, batch);
      expect(await liveEngine.step(Infinity)).toBe(false);
      last = liveEngine.update();
      for (const p of last.patches) patchedRows += p.flags.length;
      liveTables.apply(last.patches);
    }

    const whole = await freshDb();
    for (const batch of batches) await store(whole, batch);
    const wholeEngine = new ConversationEngine(whole, { sessionId: SESSION, decoderIds: DECODERS });
    expect(await wholeEngine.step(Infinity)).toBe(false);
    const once = wholeEngine.update();
    const wholeTables = new ConversationTables();
    wholeTables.apply(once.patches);

    const rows = await sessionFrames(whole, SESSION);
    const lastSeq = { rpc: Math.max(...rows.filter((r) => r.connectionId === 'rpc').map((r) => r.seq)), beat: Math.max(...rows.filter((r) => r.connectionId === 'beat').map((r) => r.seq)) };
    expect(answers(liveTables, lastSeq)).toEqual(answers(wholeTables, lastSeq));
    expect(figures(last!)).toEqual(figures(once));
    expect(last!.analysed).toBe(rows.length);
    // Patches carry what changed: rows are not sent again and again (a request once, again when answered).
    expect(patchedRows).toBeLessThan(3 * rows.length);

    // What the panel reads: request 10 (seq of its row) ↔ its answer, 30 + 10 % 7 ms; request 50 unanswered (the
    // connection closed); every ping a heartbeat.
    const request10 = rows.find((r) => typeof r.data === 'string' && r.data.includes('"id":10,'))!;
    const pair = wholeTables.pairOf('rpc', request10.seq)!;
    expect(pair).toMatchObject({ role: 'request', latencyMs: 33, label: 'fast' });
    const response = rows.find((r) => r.connectionId === 'rpc' && r.seq === pair.partnerSeq)!;
    expect(JSON.parse(response.data as string)).toMatchObject({ id: 10 });
    expect(wholeTables.pairOf('rpc', response.seq)).toMatchObject({ role: 'response', partnerSeq: request10.seq, latencyMs: 33 });
    const unanswered = rows.filter((r) => r.connectionId === 'rpc' && wholeTables.isUnanswered('rpc', r.seq)).map((r) => JSON.parse(r.data as string).id);
    expect(unanswered).toEqual(Array.from({ length: N / 100 }, (_, k) => 100 * k + 50));
    const beats = rows.filter((r) => r.connectionId === 'beat' && r.kind === 'frame');
    expect(beats.length).toBe(N / 100);
    expect(beats.every((r) => wholeTables.isHeartbeat('beat', r.seq))).toBe(true);
    expect(rows.filter((r) => r.connectionId === 'rpc').some((r) => wholeTables.isHeartbeat('rpc', r.seq))).toBe(false);
    expect(once.result.session.pairs).toBe(N - N / 100);
  });

  it('flags the first occurrences of a repeated heartbeat once the detector calls it one', async () => {
    const db = await freshDb();
    const { connect, frame } = await import('./conversation-worker-fixtures');
    const t0 = Date.now();
    const events = [connect('c'), ...Array.from({ length: 6 }, (_, i) => frame('c', i + 1, t0 + 1000 * i, 'receive', '{"t":"tick"}'))];
    // Stored and read in two runs: the detector knows it is a heartbeat only in the second.
    const engine = new ConversationEngine(db, { sessionId: SESSION, decoderIds: {} });
    const tables = new ConversationTables();
    for (const part of [events.slice(0, 4), events.slice(4)]) {
      await store(db, part);
      await engine.step(Infinity);
      tables.apply(engine.update().patches);
    }
    expect([1, 2, 3, 4, 5, 6].map((seq) => tables.isHeartbeat('c', seq))).toEqual([true, true, true, true, true, true]);
  });
});

describe('createConversationHandler', () => {
  it('answers start with the whole session, continue with the new rows only, and drops a run a new start replaced', async () => {
    const db = await freshDb();
    const t0 = Date.now();
    const [first, second] = rpcConversation(200, t0, 300);
    await store(db, first);
    const replies: ConversationReply[] = [];
    const transfers: Transferable[][] = [];
    const handle = createConversationHandler(
      (reply, transfer) => {
        replies.push(reply);
        transfers.push(transfer);
      },
      async () => db,
    );
    await handle({ type: 'start', generation: 1, options: { sessionId: SESSION, decoderIds: DECODERS } });
    expect(replies).toHaveLength(1);
    const start = replies[0];
    if (start.type !== 'update') throw new Error(start.message);
    expect(start.done).toBe(true);
    expect(start.update.analysed).toBe(298); // the two connect events are not rows
    // The typed arrays travel as transfers.
    expect(transfers[0].length).toBe(4 * start.update.patches.length);

    await store(db, second);
    await handle({ type: 'continue', generation: 1 });
    const more = replies[1];
    if (more.type !== 'update') throw new Error(more.message);
    expect(more.update.analysed).toBe(298 + second.length);
    const rpc = more.update.patches.find((p) => p.connectionId === 'rpc')!;
    // From the oldest row that changed: request 50, left waiting by the first run, unanswered once rpc closed.
    const rows = await sessionFrames(db, SESSION);
    const request50 = rows.find((r) => typeof r.data === 'string' && r.data.includes('"id":50,'))!;
    expect(rpc.fromSeq).toBe(request50.seq);

    // A continue for another generation is ignored; a start begins again from the first row.
    await handle({ type: 'continue', generation: 7 });
    expect(replies).toHaveLength(2);
    await handle({ type: 'start', generation: 2, options: { sessionId: SESSION, decoderIds: {} } });
    const again = replies[2];
    if (again.type !== 'update') throw new Error(again.message);
    expect(again.generation).toBe(2);
    expect(again.update.analysed).toBe(298 + second.length);
    // Without the JSON-RPC decoder nothing pairs.
    expect(again.update.result.session.pairs).toBe(0);
  });

  it('says why when the store cannot be opened', async () => {
    const replies: ConversationReply[] = [];
    const handle = createConversationHandler(
      (reply) => replies.push(reply),
      () => Promise.reject(new Error('blocked')),
    );
    await handle({ type: 'start', generation: 3, options: { sessionId: SESSION, decoderIds: {} } });
    expect(replies).toEqual([{ type: 'error', generation: 3, message: 'the conversation worker could not open the store: blocked' }]);
  });
});
