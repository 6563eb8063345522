/**
 * What the relay posts on the private port: stop, a spare batch buffer, the token of the last hand-over (batch.ts),
 * and the panel's commands (rules, release, replay, replay-stop, send, simulate-receive, close), each answered with
 * a command-result after the frames it recorded.
 */
import type { PageCommand, RelayToPageMessage } from '../shared/protocol';
import { NAMESPACE } from '../shared/protocol';
import { DEFAULT_HOLD_TIMEOUT_MS } from '../shared/intercept-rules';
import type { Batch } from './batch';
import type { BinaryReader } from './binary';
import type { Holds } from './holds';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { Recorder } from './recorder';
import type { Replays } from './replay';
import type { HookState, SocketRegistry } from './socket-state';

export interface Commands {
  /** Runs one command; throws an Error whose message is for the panel. */
  runCommand(command: PageCommand): void;
  /** The port's message listener. */
  onRelayMessage(event: MessageEvent): void;
}

export function commands(
  natives: Natives,
  own: OwnObjects,
  binary: BinaryReader,
  batch: Batch,
  record: Recorder,
  intercept: Holds,
  replay: Replays,
  hook: HookState,
  registry: SocketRegistry,
  stop: () => void,
): Commands {
  const { apply, defineProperty, regexpExec, regexpFlags, wsReadyState, wsBinaryType, nativeSend, nativeClose, messageData, BlobCtor, StringCtor } = natives;
  const { withoutPrototype, ownSequence, withoutPrototypes } = own;
  const { copyBuffer } = binary;
  const { recordFrame } = record;

  /**
   * RegExp.prototype[Symbol.replace] looks up `exec` and `flags` on the RegExp, and the `flags` getter each flag:
   * all on the page's RegExp.prototype, which the page may have replaced. So each of our RegExps gets its own
   * `exec` and `flags`, the latter read from the natives' flag getters (which read internal slots only).
   */
  function ownRegExp(re: RegExp): void {
    let flags = '';
    for (let i = 0; i < regexpFlags.length; i++) if (apply(regexpFlags[i].get, re, [])) flags += regexpFlags[i].letter;
    defineProperty(re, 'exec', withoutPrototype({ value: regexpExec }));
    defineProperty(re, 'flags', withoutPrototype({ value: flags }));
  }

  function runCommand(command: PageCommand): void {
    switch (command.kind) {
      case 'set-rules': {
        const list = command.rules;
        for (let i = 0; i < list.length; i++) {
          if (list[i].url) ownRegExp(list[i].url!);
          if (list[i].pattern) ownRegExp(list[i].pattern!);
        }
        hook.rules = list;
        hook.holdTimeoutMs = command.holdTimeoutMs > 0 ? command.holdTimeoutMs : DEFAULT_HOLD_TIMEOUT_MS;
        return;
      }
      case 'release':
        if (!intercept.release(command.holdId, command.action, command.action === 'forward' ? command.data : undefined)) {
          throw new Error('That frame is no longer held (released by the timeout, or its socket closed).');
        }
        return;
      case 'replay':
        replay.run(command);
        return;
      case 'replay-stop': {
        if (!replay.stop(command.replayId)) throw new Error('That replay has already finished.');
        return;
      }
    }
    const ws = registry.socketById(command.socketId);
    const state = ws ? registry.stateOf(ws) : undefined;
    if (!ws || !state) throw new Error('The connection is gone: the page closed it or navigated away.');
    const readyState = apply(wsReadyState, ws, []) as number;
    if (command.kind === 'close') {
      if (readyState >= 2) throw new Error('The connection is already closing or closed.');
      apply(nativeClose, ws, command.code === undefined ? [] : command.reason === undefined ? [command.code] : [command.code, command.reason]);
      return;
    }
    if (command.kind === 'send') {
      if (readyState !== 1) {
        throw new Error(readyState === 0 ? 'The connection is still opening.' : 'The connection is closing or closed.');
      }
      apply(nativeSend, ws, [command.data]);
      const data = typeof command.data === 'string' ? command.data : copyBuffer(command.data, 0, command.data.byteLength);
      recordFrame(state, 'send', data, 'inspector', 'sent');
      return;
    }
    // simulate-receive: deliver to the page's listeners with the type its binaryType asks for.
    if (readyState !== 1) throw new Error('The connection is not open: a closed socket receives no messages.');
    let data: string | ArrayBuffer | Blob;
    let recorded: string | ArrayBuffer;
    if (typeof command.data === 'string') {
      data = recorded = command.data;
    } else {
      // The page gets its own buffer; we keep (and transfer) another.
      const bytes = command.data;
      recorded = copyBuffer(bytes, 0, bytes.byteLength);
      data = apply(wsBinaryType, ws, []) === 'blob' ? new BlobCtor(ownSequence([bytes])) : bytes;
    }
    recordFrame(state, 'receive', recorded, 'simulated', 'sent');
    intercept.deliver(ws, data);
  }

  function onRelayMessage(event: MessageEvent): void {
    const msg = apply(messageData, event, []) as RelayToPageMessage;
    if (typeof msg !== 'object' || msg === null) return;
    withoutPrototypes(msg);
    if (msg.ns !== NAMESPACE) return;
    if (msg.type === 'stop') {
      stop();
      return;
    }
    if (msg.type === 'spare-buffer') {
      batch.offerSpare(msg.buffer);
      return;
    }
    if (msg.type === 'last-words-token') {
      if (typeof msg.token === 'string' && msg.token.length > 0) batch.setLastWordsToken(msg.token);
      return;
    }
    if (msg.type === 'command') {
      let reply: { ns: typeof NAMESPACE; type: 'command-result'; requestId: string; ok: boolean; error?: string };
      try {
        runCommand(msg.command);
        reply = withoutPrototype({ ns: NAMESPACE, type: 'command-result', requestId: msg.requestId, ok: true });
      } catch (error) {
        reply = withoutPrototype({ ns: NAMESPACE, type: 'command-result', requestId: msg.requestId, ok: false, error: StringCtor((error as Error).message) });
      }
      batch.postAfterFlush(reply); // the recorded frame travels before the reply
    }
  }

  return withoutPrototype({ runCommand, onRelayMessage });
}
