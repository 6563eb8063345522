/**
 * The conversation worker: request↔response pairs, latency, heartbeats, stats and the timeline of the session on
 * screen, computed off the panel's main thread (a module Worker, bundled by Vite from
 * `new Worker(new URL('../io/conversation-worker.ts', import.meta.url), { type: 'module' })` in
 * lib/panel/conversation-job.ts). It opens the same extension-origin IndexedDB as the panel and reads the session's
 * rows itself; what it does with each message is lib/io/conversation-handler.ts.
 */
import { openFrameStore } from '../store/frame-store';
import { createConversationHandler, type ConversationReply, type ConversationRequest } from './conversation-handler';

const handle = createConversationHandler((reply: ConversationReply, transfer) => (self as unknown as Worker).postMessage(reply, transfer), () => openFrameStore());

self.onmessage = (event: MessageEvent<ConversationRequest>) => void handle(event.data);
