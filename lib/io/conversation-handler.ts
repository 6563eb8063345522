/**
 * What the conversation worker (lib/io/conversation-worker.ts) does with the panel's messages, apart from the
 * worker's global scope so unit tests run it with an in-memory database.
 *
 * The panel says `start` (a session, its decoders and pair paths: analysis starts over) and `continue` (rows were
 * stored since: analysis goes on from where it stopped). One run at a time; a `continue` during a run asks for one
 * more run after it, and a `start` stops the run under way between two pages. While a run reads, an update is
 * posted about every UPDATE_MS, so a million-row session fills the grid's Latency column as it goes; each update
 * carries the generation of its `start`, so the panel drops the answers of a session it left.
 */
import { ConversationEngine, patchBuffers, type ConversationOptions, type ConversationUpdate } from './conversation-engine';
import type { InspectorDatabase } from '../store/frame-store';

export type ConversationRequest =
  | { type: 'start'; generation: number; options: ConversationOptions }
  /** More rows were stored; `decoderIds`: decoders of connections detected since (added, never changed). */
  | { type: 'continue'; generation: number; decoderIds?: Record<string, string> };

export type ConversationReply =
  /** `done`: the run reached the end of what is stored. */
  | { type: 'update'; generation: number; update: ConversationUpdate; done: boolean }
  | { type: 'error'; generation: number; message: string };

/** An update is posted at least this often while a run reads. */
export const UPDATE_MS = 1000;

interface Job {
  engine: ConversationEngine;
  generation: number;
}

export function createConversationHandler(
  post: (reply: ConversationReply, transfer: Transferable[]) => void,
  openDb: () => Promise<InspectorDatabase>,
): (request: ConversationRequest) => Promise<void> {
  let db: Promise<InspectorDatabase> | undefined;
  let current: Job | undefined;
  let wanted = false;
  let loop: Promise<void> | undefined;

  async function run(job: Job): Promise<void> {
    try {
      for (;;) {
        const sliceStart = Date.now();
        const more = await job.engine.step(Infinity, () => current !== job || Date.now() - sliceStart > UPDATE_MS);
        if (current !== job) return;
        const update = job.engine.update();
        post({ type: 'update', generation: job.generation, update, done: !more }, patchBuffers(update.patches));
        if (!more) return;
      }
    } catch (error) {
      if (current === job) post({ type: 'error', generation: job.generation, message: error instanceof Error ? error.message : String(error) }, []);
    }
  }

  async function drain(): Promise<void> {
    while (wanted) {
      wanted = false;
      if (current) await run(current);
    }
  }

  function want(): Promise<void> {
    wanted = true;
    loop ??= drain().finally(() => {
      loop = undefined;
      if (wanted) void want();
    });
    return loop;
  }

  return async (request) => {
    if (request.type === 'start') {
      db ??= openDb();
      let database: InspectorDatabase;
      try {
        database = await db;
      } catch (error) {
        db = undefined;
        post({ type: 'error', generation: request.generation, message: `the conversation worker could not open the store: ${error instanceof Error ? error.message : String(error)}` }, []);
        return;
      }
      current = { engine: new ConversationEngine(database, request.options), generation: request.generation };
      await want();
    } else if (request.type === 'continue') {
      if (!current || current.generation !== request.generation) return;
      if (request.decoderIds) current.engine.addDecoders(request.decoderIds);
      await want();
    }
  };
}
