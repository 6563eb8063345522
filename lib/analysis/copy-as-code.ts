/**
 * Copy a connection, or selected messages, as code that runs as is: a `websocat` or `wscat` command, a browser
 * JavaScript snippet, a Node script (`ws`), a Python script (`websockets`, asyncio) or a `ws-inspector replay`
 * command line. Pure: the panel puts `code` on the clipboard and shows `notes`.
 *
 * API (for the panel)
 * - `copyAsCode(format, target, frames, options?) → CopiedCode` (`{ format, label, language, code, notes, complete }`);
 *   `copyAsCodeAll(target, frames, options?)` gives every format, in menu order (`CODE_FORMATS`).
 * - `codeTargetFromConnection(connection) → CodeTarget`: `{ url, protocols }` from a ConnectionRecord (the
 *   subprotocols the page asked for; else those of the handshake DevTools saw).
 * - `codeFramesFromRows(rows) → { frames, missing }`: CodeFrames from FrameRecords, in the order given; for a
 *   whole connection pass its rows filtered with `isSentFrame` (frames the page sent that went out), for a
 *   selection the selected rows. `missing`: rows whose payload was not stored (left out; say so).
 * - `CodeOptions`: `waitMs` (listen this long after the last send, default 2000), `replayFile` (the exported
 *   file the replay command assumes, default `session.wsi.json`), `replayConnection` (its 1-based position in that
 *   file; else chosen by URL), `selection` (the frames are a selection: the replay note says the whole connection
 *   is replayed).
 *
 * What each format cannot express (`complete: false`, with a `#` comment in the command and a note): wscat sends
 * no binary frames; websocat sends no text frame holding a line break; neither can pass a NUL (shell words cannot
 * hold one). Details in copy-as-code-shell.ts and copy-as-code-scripts.ts.
 */
import type { CodeFormat, CodeFrame, CodeOptions, CodeTarget, CopiedCode } from './copy-as-code-model';
import { browserSnippet, nodeScript, pythonScript } from './copy-as-code-scripts';
import { replayCommand, websocatCommand, wscatCommand } from './copy-as-code-shell';

export { codeFramesFromRows, codeTargetFromConnection, isSentFrame, DEFAULT_REPLAY_FILE, DEFAULT_WAIT_MS } from './copy-as-code-model';
export type { CodeFormat, CodeFrame, CodeOptions, CodeTarget, CopiedCode } from './copy-as-code-model';

/** Menu order. */
export const CODE_FORMATS: readonly CodeFormat[] = ['websocat', 'wscat', 'browser', 'node', 'python', 'replay'];

const GENERATORS: Record<CodeFormat, (target: CodeTarget, frames: CodeFrame[], options: CodeOptions) => CopiedCode> = {
  websocat: websocatCommand,
  wscat: wscatCommand,
  browser: browserSnippet,
  node: nodeScript,
  python: pythonScript,
  replay: replayCommand,
};

export function copyAsCode(format: CodeFormat, target: CodeTarget, frames: readonly CodeFrame[], options: CodeOptions = {}): CopiedCode {
  return GENERATORS[format](target, [...frames], options);
}

export function copyAsCodeAll(target: CodeTarget, frames: readonly CodeFrame[], options: CodeOptions = {}): CopiedCode[] {
  return CODE_FORMATS.map((format) => copyAsCode(format, target, frames, options));
}
