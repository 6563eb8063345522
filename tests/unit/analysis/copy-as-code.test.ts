import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { jsString, pythonString, shellQuote } from '../../../lib/analysis/code-quoting';
import { codeFramesFromRows, codeTargetFromConnection, copyAsCode, copyAsCodeAll, CODE_FORMATS, isSentFrame } from '../../../lib/analysis/copy-as-code';
import type { FrameRecord } from '../../../lib/shared/records';

/** What a hostile page could send: every quoting mechanism's special characters. */
const NASTY = [
  '',
  "it's",
  "''''",
  '"double" \\ back\\slash \\n',
  '$(touch /tmp/pwned) `id` ${HOME} $HOME',
  'line 1\nline 2\r\nline 3\rend\n',
  'tab\there %s %% %b \\0',
  '-n --help',
  '😀 é 中文 ﷽',
  'rtl \u202e override \u2066 isolate \u200b zero-width \ufeff bom \u00ad soft',
  'sep \u2028 \u2029 \u0085 \u0007 \u001b[31m \u007f',
  'tag \u{E0041}\u{E007F}',
  '*/ --> </script> """ \'\'\' #',
];
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

describe('shellQuote', () => {
  it('gives sh a word that is exactly the text', () => {
    for (const text of NASTY) {
      const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(text)}`]);
      expect(out.toString('utf8')).toBe(text);
    }
  });

  it('refuses a NUL (no shell word can hold one)', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('jsString', () => {
  it('is a literal that evaluates to the text, with nothing invisible left raw', () => {
    for (const text of [...NASTY, 'nul\0inside', 'lone \ud800 surrogate']) {
      const literal = jsString(text);
      expect(new Function(`return ${literal};`)()).toBe(text);
      expect(literal).not.toMatch(INVISIBLE);
      expect(literal).not.toContain('\n');
    }
    expect(jsString('a\u202eb\u{E0041}')).toBe('"a\\u202eb\\u{e0041}"');
  });
});

describe('pythonString', () => {
  it('is a literal Python 3 reads as the text, with nothing invisible left raw', () => {
    const texts = [...NASTY, 'nul\0inside'];
    const literals = texts.map(pythonString);
    for (const literal of literals) expect(literal).not.toMatch(INVISIBLE);
    const program = 'import ast, json, sys\nprint(json.dumps([ast.literal_eval(line) for line in sys.stdin.read().split("\\n")]))';
    const out = execFileSync('/usr/bin/python3', ['-c', program], { input: literals.join('\n') });
    expect(JSON.parse(out.toString('utf8'))).toEqual(texts);
    expect(pythonString('\u0007\u202e\u{E0041}')).toBe('"\\x07\\u202e\\U000e0041"');
  });
});

const url = 'wss://chat.example/socket?token=a\'b&x=$(id)';
const frames = [
  { opcode: 1 as const, text: 'hello' },
  { opcode: 2 as const, bytes: new Uint8Array([0xde, 0xad]) },
];

describe('copyAsCode', () => {
  it('gives every format in menu order', () => {
    expect(copyAsCodeAll({ url, protocols: [] }, frames).map((c) => c.format)).toEqual([...CODE_FORMATS]);
  });

  it('wscat: says it cannot send binary frames, in a comment and a note', () => {
    const copied = copyAsCode('wscat', { url, protocols: ['v1'] }, frames);
    expect(copied.complete).toBe(false);
    expect(copied.code.split('\n')[0]).toBe('# frame 2 is left out: wscat cannot send binary frames');
    expect(copied.code).toContain(`--connect='wss://chat.example/socket?token=a'\\''b&x=$(id)' --subprotocol='v1' --wait=2 --execute='hello'`);
    expect(copied.notes).toContain('Frame 2 is left out: wscat cannot send binary frames.');
    const none = copyAsCode('wscat', { url, protocols: [] }, [frames[1]]);
    expect(none.notes.join(' ')).toMatch(/interactive prompt/);
  });

  it('websocat: plain lines for text only, prefixes and base64 when binary, -B raised for a big frame', () => {
    expect(copyAsCode('websocat', { url: 'ws://h/', protocols: [] }, [frames[0]], { waitMs: 500 }).code).toBe(
      "{ printf '%s\\n' 'hello'; sleep 0.5; } | websocat --linemode-strip-newlines 'ws://h/'",
    );
    const mixed = copyAsCode('websocat', { url: 'ws://h/', protocols: ['a', 'b'] }, frames).code;
    expect(mixed).toBe("{ printf '%s\\n' 't:hello' 'b:3q0='; sleep 2; } | websocat --linemode-strip-newlines --text-prefix 't:' --binary-prefix 'b:' --base64 --protocol 'a, b' 'ws://h/'");
    const big = copyAsCode('websocat', { url: 'ws://h/', protocols: [] }, [{ opcode: 1, text: 'x'.repeat(70_000) }]).code;
    expect(big).toContain('-B 70001');
  });

  it('replay: names the file it assumes and the connection, and says a selection replays the whole connection', () => {
    const byNumber = copyAsCode('replay', { url, protocols: [] }, frames, { replayFile: "my file's.wsi.json", replayConnection: 3, selection: true });
    expect(byNumber.code).toBe("# Export the session as my file's.wsi.json first (Export, WebSocket Inspector JSON).\nnpx ws-inspector replay 'my file'\\''s.wsi.json' --connection 3 --timing original");
    expect(byNumber.notes.join(' ')).toMatch(/whole connection, not only the 2 selected frames/);
    const byUrl = copyAsCode('replay', { url, protocols: [] }, frames);
    expect(byUrl.code).toContain(`npx ws-inspector replay 'session.wsi.json' --connection 'wss://chat.example/socket?token=a'\\''b&x=$(id)'`);
    const hostileName = copyAsCode('replay', { url, protocols: [] }, frames, { replayFile: 'x\nrm -rf ~\n.json' });
    // A line break in the name stays inside the quoted word, and cannot end the comment.
    expect(hostileName.code).toBe("# Export the session as x?rm -rf ~?.json first (Export, WebSocket Inspector JSON).\nnpx ws-inspector replay 'x\nrm -rf ~\n.json' --connection " + shellQuote(url) + ' --timing original');
  });

  it('scripts: binary frames decoded from base64, subprotocols passed', () => {
    const node = copyAsCode('node', { url, protocols: ['v1'] }, frames).code;
    expect(node).toContain(`Buffer.from("3q0=", 'base64')`);
    expect(node).toContain('new WebSocket("wss://chat.example/socket?token=a\'b&x=$(id)", [\n  "v1",\n]);');
    expect(copyAsCode('browser', { url, protocols: [] }, frames).code).toContain('fromBase64("3q0=")');
    expect(copyAsCode('python', { url, protocols: [] }, frames).code).toContain('base64.b64decode("3q0=")');
  });
});

describe('from the store records', () => {
  const row = (over: Partial<FrameRecord>): FrameRecord => ({ sessionId: 's', connectionId: 'c', seq: 1, time: 0, kind: 'frame', size: 0, ...over });

  it('codeFramesFromRows: frames in order, binary as bytes, well-formed text, missing payloads counted', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const rows = [row({ kind: 'open' }), row({ dir: 'send', opcode: 1, data: 'a\ud800b' }), row({ dir: 'send', opcode: 2, data: bytes.buffer }), row({ dir: 'send', opcode: 1 })];
    expect(codeFramesFromRows(rows)).toEqual({ frames: [{ opcode: 1, text: 'a\ufffdb' }, { opcode: 2, bytes }], missing: 1 });
  });

  it('isSentFrame: only frames the page sent that went out', () => {
    expect([row({ dir: 'send' }), row({ dir: 'send', status: 'refused' }), row({ dir: 'receive' }), row({ kind: 'close' })].map(isSentFrame)).toEqual([true, false, false, false]);
  });

  it('codeTargetFromConnection: the asked subprotocols, else the handshake header', () => {
    expect(codeTargetFromConnection({ url: 'ws://h/', protocols: ['a'] })).toEqual({ url: 'ws://h/', protocols: ['a'] });
    const handshake = { method: 'GET', url: 'ws://h/', status: 101, statusText: '', requestHeaders: [{ name: 'Sec-WebSocket-Protocol', value: 'x, y' }], responseHeaders: [], source: 'devtools' as const };
    expect(codeTargetFromConnection({ url: 'ws://h/', protocols: [], handshake })).toEqual({ url: 'ws://h/', protocols: ['x', 'y'] });
  });
});
