/**
 * Copy as a shell command: `websocat`, `wscat` and `ws-inspector replay`, for a POSIX shell (sh, bash, zsh).
 * Every argument is single-quoted (code-quoting.ts). What a tool cannot send is left out with a `#` comment
 * above the command saying which frame and why, and a note; comments never quote a payload (a payload is the
 * page's text: it could end a comment).
 *
 * - websocat (1.x) reads its standard input as lines, one message a line: `printf '%s\n' …` feeds it, `sleep`
 *   keeps the input open so replies are printed before it closes, `--linemode-strip-newlines` keeps the line
 *   break out of the message. Binary frames are sent as `b:<base64>` lines (`--binary-prefix b: --base64`,
 *   with `--text-prefix t:` marking text lines). A text frame holding a line break (`\n`, `\r`) cannot be one
 *   line: left out. websocat cuts messages at `-B` bytes (65536 by default): raised to fit the largest frame.
 * - wscat (npm) sends each `--execute` argument as a text message once connected and closes `--wait` seconds
 *   later; it has no way to send binary frames: left out. It quits when its standard input ends, so a `sleep`
 *   feeds it an input that stays open (run from a script, stdin may be /dev/null or a closed pipe).
 * - Shell words cannot hold NUL: a text frame with a NUL character is left out of both.
 * - ws-inspector replay replays a whole connection from an exported `.wsi.json`: the command names the file it
 *   assumes and the connection.
 */
import { hasInvisibleCharacters, shellQuote } from './code-quoting';
import { DEFAULT_REPLAY_FILE, DEFAULT_WAIT_MS, plural, type CodeFrame, type CodeOptions, type CodeTarget, type CopiedCode } from './copy-as-code-model';
import { bytesToBase64, utf8ByteLength } from '../shared/wire';

interface Skipped {
  /** 1-based frame number. */
  n: number;
  why: string;
}

const seconds = (ms: number) => String(Math.max(0, ms) / 1000);

function skippedComments(tool: string, skipped: Skipped[]): string[] {
  return skipped.map((s) => `# frame ${s.n} is left out: ${tool} cannot send ${s.why}`);
}

/** Words that hold characters a reader cannot see: said, since single quotes carry them raw. */
function invisibleNote(texts: string[]): string[] {
  const n = texts.filter(hasInvisibleCharacters).length;
  if (n === 0) return [];
  return [`${n === 1 ? '1 text frame holds' : `${n} text frames hold`} invisible or control characters, carried as they are inside single quotes (a shell word has no escapes).`];
}

export function websocatCommand(target: CodeTarget, frames: CodeFrame[], options: CodeOptions): CopiedCode {
  const skipped: Skipped[] = [];
  const anyBinary = frames.some((f) => f.opcode === 2);
  const lines: string[] = [];
  const texts: string[] = [];
  frames.forEach((frame, i) => {
    if (frame.opcode === 2) {
      lines.push(`b:${bytesToBase64(frame.bytes)}`);
      return;
    }
    if (frame.text.includes('\0')) skipped.push({ n: i + 1, why: 'a NUL character (a shell word cannot hold one)' });
    else if (/[\n\r]/.test(frame.text)) skipped.push({ n: i + 1, why: 'a text frame with a line break (it reads one message a line)' });
    else {
      lines.push(anyBinary ? `t:${frame.text}` : frame.text);
      texts.push(frame.text);
    }
  });
  const largest = lines.reduce((max, line) => Math.max(max, utf8ByteLength(line)), 0);
  const flags = ['--linemode-strip-newlines'];
  if (anyBinary) flags.push('--text-prefix', shellQuote('t:'), '--binary-prefix', shellQuote('b:'), '--base64');
  if (target.protocols.length > 0) flags.push('--protocol', shellQuote(target.protocols.join(', ')));
  if (largest + 1 > 65536) flags.push('-B', String(largest + 1));
  const feed = lines.length > 0 ? `printf '%s\\n' ${lines.map(shellQuote).join(' ')}; ` : '';
  const command = `{ ${feed}sleep ${seconds(options.waitMs ?? DEFAULT_WAIT_MS)}; } | websocat ${flags.join(' ')} ${shellQuote(target.url)}`;
  const notes = [
    'Sends each frame as one line of websocat\'s input, prints each reply on a line, and closes when the input ends.',
    ...(anyBinary ? ['Binary frames go as base64 lines; binary replies print as b: followed by base64, text replies as t: followed by the text.'] : []),
    ...skipped.map((s) => `Frame ${s.n} is left out: websocat cannot send ${s.why}.`),
    ...invisibleNote(texts),
  ];
  return { format: 'websocat', label: 'websocat command', language: 'shell', code: [...skippedComments('websocat', skipped), command].join('\n'), notes, complete: skipped.length === 0 };
}

export function wscatCommand(target: CodeTarget, frames: CodeFrame[], options: CodeOptions): CopiedCode {
  const skipped: Skipped[] = [];
  const texts: string[] = [];
  const args = [`--connect=${shellQuote(target.url)}`];
  for (const protocol of target.protocols) args.push(`--subprotocol=${shellQuote(protocol)}`);
  const wait = options.waitMs ?? DEFAULT_WAIT_MS;
  args.push(`--wait=${seconds(wait)}`);
  frames.forEach((frame, i) => {
    if (frame.opcode === 2) skipped.push({ n: i + 1, why: 'binary frames' });
    else if (frame.text.includes('\0')) skipped.push({ n: i + 1, why: 'a NUL character (a shell word cannot hold one)' });
    // --execute=…: the attached form, so a payload starting with '-' is never read as an option.
    else {
      args.push(`--execute=${shellQuote(frame.text)}`);
      texts.push(frame.text);
    }
  });
  // Without any --execute, wscat opens an interactive prompt instead of sending and closing.
  const nothingToSend = !args.some((a) => a.startsWith('--execute='));
  const notes = [
    'Sends the text frames as soon as it connects, prints the replies, and closes after the wait.',
    ...skipped.map((s) => `Frame ${s.n} is left out: wscat cannot send ${s.why}.`),
    ...(nothingToSend ? ['No frame can be sent with wscat: the command opens an interactive prompt.'] : []),
    ...invisibleNote(texts),
  ];
  // wscat quits as soon as its standard input ends (its prompt's readline closes), even before it connects: a
  // command run from a script or with no terminal would send nothing. The sleep keeps its input open past the wait.
  const keepOpen = `sleep ${seconds(wait + 2000)} | `;
  const comment = '# wscat quits when its input ends: the sleep keeps it open until it has sent, listened and closed.';
  return { format: 'wscat', label: 'wscat command', language: 'shell', code: [...skippedComments('wscat', skipped), comment, `${keepOpen}wscat ${args.join(' ')}`].join('\n'), notes, complete: skipped.length === 0 };
}

export function replayCommand(target: CodeTarget, frames: CodeFrame[], options: CodeOptions): CopiedCode {
  const file = options.replayFile ?? DEFAULT_REPLAY_FILE;
  const connection = options.replayConnection !== undefined ? String(options.replayConnection) : shellQuote(target.url);
  const notes = [
    `Assumes the session was exported as ${file} (Export, WebSocket Inspector JSON) into the folder the command runs in.`,
    'Replays every frame the connection sent, with the recorded timing; add --expect to check the replies against the recording.',
    ...(options.selection ? [`Replays the whole connection, not only the ${plural(frames.length, 'selected frame')}.`] : []),
  ];
  // The file name is the user's: a line break in it must not end the comment.
  const comment = `# Export the session as ${file.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '?')} first (Export, WebSocket Inspector JSON).`;
  return {
    format: 'replay',
    label: 'ws-inspector replay command',
    language: 'shell',
    code: `${comment}\nnpx ws-inspector replay ${shellQuote(file)} --connection ${connection} --timing original`,
    notes,
    complete: true,
  };
}
