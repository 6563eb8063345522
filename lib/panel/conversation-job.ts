/**
 * The panel's line to its conversation worker (lib/io/conversation-worker.ts), started as io-worker-job.ts starts
 * the I/O worker. One worker lives as long as the panel (it keeps the analysis of the session on screen, to continue
 * it as rows arrive) and is terminated with it. The slice (conversation-state.svelte.ts) talks through this small
 * interface so unit tests can run the worker's handler in-process instead.
 */
import type { ConversationReply, ConversationRequest } from '../io/conversation-handler';

export interface ConversationChannel {
  post(request: ConversationRequest): void;
  /** Replies, in order; one listener. */
  onReply(listener: (reply: ConversationReply) => void): void;
  close(): void;
}

export function startConversationWorker(): ConversationChannel {
  let worker: Worker | undefined;
  let listener: (reply: ConversationReply) => void = () => undefined;
  const ensure = (): Worker | undefined => {
    if (worker) return worker;
    if (typeof Worker === 'undefined') {
      // No workers here (unit tests of the root in Node): the panel goes without the conversation.
      listener({ type: 'error', generation: -1, message: 'this context has no Web Workers' });
      return undefined;
    }
    worker = new Worker(new URL('../io/conversation-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<ConversationReply>) => listener(event.data);
    worker.onerror = (event) => {
      // The worker is gone (a failed load, an exception outside a run): the next request starts a new one.
      worker?.terminate();
      worker = undefined;
      listener({ type: 'error', generation: -1, message: `the conversation worker failed: ${event.message || 'unknown error'}` });
    };
    return worker;
  };
  return {
    post: (request) => ensure()?.postMessage(request),
    onReply: (next) => (listener = next),
    close() {
      worker?.terminate();
      worker = undefined;
    },
  };
}
