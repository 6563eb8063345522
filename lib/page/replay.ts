/**
 * Replays a sequence on a new connection opened from the page's own context (so Origin and cookies are the
 * page's). The connection is recorded like any other, marked as a replay; progress goes to the panel.
 */
import type { PageCommand, PageNotice } from '../shared/protocol';
import type { Batch } from './batch';
import type { BinaryReader } from './binary';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { Recorder } from './recorder';
import type { HookState, SocketRegistry } from './socket-state';

export interface Replays {
  /** Starts a replay (the 'replay' command). */
  run(command: Extract<PageCommand, { kind: 'replay' }>): void;
  /** Stops a running replay; false if it has already finished. */
  stop(replayId: string): boolean;
}

export function replays(
  natives: Natives,
  own: OwnObjects,
  binary: BinaryReader,
  batch: Batch,
  record: Recorder,
  hook: HookState,
  registry: SocketRegistry,
  WebSocketProxy: typeof WebSocket,
): Replays {
  const { apply, win, MapCtor, mapGet, mapSet, mapDelete, setTimeoutFn, clearTimeoutFn, addEventListener, wsReadyState, wsBinaryTypeSetter, nativeSend, nativeClose, regexpCtor, regexpExec, stringIndexOf } = natives;
  const { withoutPrototype, ownArray, ownSequence } = own;
  const { copyBuffer } = binary;
  const { recordFrame } = record;
  const running = new MapCtor<string, { ws: WebSocket | undefined; stop(): void }>();

  function run(command: Extract<PageCommand, { kind: 'replay' }>): void {
    const { replayId, steps, waitForReply } = command;
    const total = steps.length;
    let ws: WebSocket;
    hook.nextInitiator = 'replay';
    try {
      ws = new WebSocketProxy(command.url, ownSequence(command.protocols ?? ownArray<string>()));
    } finally {
      hook.nextInitiator = undefined;
    }
    const state = registry.stateOf(ws)!;
    apply(wsBinaryTypeSetter, ws, ['arraybuffer']);
    let sent = 0;
    let timer: unknown;
    let finished = false;
    const progress = (replayState: 'connecting' | 'running' | 'waiting' | 'done' | 'failed' | 'stopped', error?: string) => {
      // No prototype: a setter the page put on Object.prototype for `error` would otherwise get the notice.
      const notice: PageNotice = withoutPrototype({ kind: 'replay-progress', replayId, connectionId: state.id, sent, total, state: replayState });
      if (error !== undefined) notice.error = error;
      batch.postNotice(notice);
    };
    const finish = (replayState: 'done' | 'failed' | 'stopped', error?: string) => {
      if (finished) return;
      finished = true;
      state.replyWaiter = undefined;
      apply(clearTimeoutFn, win, [timer]);
      apply(mapDelete, running, [replayId]);
      progress(replayState, error);
    };
    const step = () => {
      if (finished) return;
      if (sent === total) {
        finish('done');
        return;
      }
      timer = apply(setTimeoutFn, win, [sendNext, steps[sent].delayMs]);
    };
    const sendNext = () => {
      if (finished) return;
      if ((apply(wsReadyState, ws, []) as number) !== 1) {
        finish('failed', `The connection closed after ${sent} of ${total} frames.`);
        return;
      }
      const data = steps[sent].data;
      apply(nativeSend, ws, [data]);
      recordFrame(state, 'send', typeof data === 'string' ? data : copyBuffer(data, 0, data.byteLength), 'inspector', 'sent');
      sent++;
      if (waitForReply && sent < total) {
        progress('waiting');
        const re = waitForReply.pattern && waitForReply.regex ? new regexpCtor(waitForReply.pattern) : undefined;
        timer = apply(setTimeoutFn, win, [() => finish('failed', `No matching reply within ${waitForReply.timeoutMs} ms after frame ${sent}.`), waitForReply.timeoutMs]);
        state.replyWaiter = (reply) => {
          const text = typeof reply === 'string' ? reply : undefined;
          const matches = !waitForReply.pattern || (text !== undefined && (re ? apply(regexpExec, re, [text]) !== null : apply(stringIndexOf, text, [waitForReply.pattern]) !== -1));
          if (!matches) return;
          state.replyWaiter = undefined;
          apply(clearTimeoutFn, win, [timer]);
          progress('running');
          step();
        };
      } else {
        progress('running');
        step();
      }
    };
    apply(addEventListener, ws, ['open', step, withoutPrototype({ once: true })]);
    apply(addEventListener, ws, ['close', () => finish(sent === total ? 'done' : 'failed', sent === total ? undefined : `The connection closed after ${sent} of ${total} frames.`), withoutPrototype({ once: true })]);
    apply(mapSet, running, [replayId, withoutPrototype({
      ws,
      stop: () => {
        finish('stopped');
        try {
          apply(nativeClose, ws, [1000, 'Replay stopped']);
        } catch {
          // already closed
        }
      },
    })]);
    progress('connecting');
  }

  function stop(replayId: string): boolean {
    const replay = apply(mapGet, running, [replayId]) as { stop(): void } | undefined;
    if (!replay) return false;
    replay.stop();
    return true;
  }

  return withoutPrototype({ run, stop });
}
