/**
 * `ws-inspector`: the command-line side of WebSocket Inspector. `replay` sends the outgoing frames of a recorded
 * connection (`.wsi.json` or HAR) to a server and prints, or checks (`--expect`, `--ignore`), what it answers;
 * `stats` is cli/stats-command.ts.
 */
import { JsonPathError, parseJsonPath, type JsonPathPattern } from '../lib/analysis/json-diff';
import { EXIT, replay } from './replay';
import { diffReplies } from './reply-diff';
import { UsageError, parseTiming, replayScript } from './replay-script';
import { STATS_HELP, runStats } from './stats-command';
import { commandArgs, failureExit, millisecondsOption, readSessionFile } from './command-args';

export const HELP = `Usage: ws-inspector replay <file.wsi.json | file.har> [options]

Replays the frames a recorded WebSocket connection sent, in order, and prints what the server answers
(JSON pretty-printed, other text as is, binary as a hex dump).

Options:
  --url <ws-url>            connect here instead of the recorded URL
  --connection <n|text>     which connection of the file: its number (1 = first) or part of its URL
                            (default: the first connection that sent anything)
  --timing <mode>           original: keep the recorded gaps between frames (default)
                            none:     send everything at once, in order
                            <ms>:     a fixed gap of <ms> milliseconds between frames
  --expect                  compare the replies with the recorded incoming frames; exit 1 with a diff when
                            they differ (a regression test for a WebSocket server). Replies that are JSON
                            are compared as JSON (key order does not matter, arrays by index) and the diff
                            names the JSON paths that differ
  --ignore <json-path>      with --expect: leave this JSON path (and all below it) out of the comparison,
                            for fields that change on every run; repeatable. Paths: $.ts, $.data.id,
                            $.items[0].ts, $["a key"], $.items[*].ts (* is any key or index)
  --wait <ms>               keep listening this long after the last frame for more replies (default 1000)
  --handshake-timeout <ms>  give up on a server that does not answer the handshake (default 10000)
  -q, --quiet               print only the --expect result and errors, not every reply
  -h, --help                this help

Exit codes:
  0  done (with --expect: every reply matched)
  1  --expect: the replies differ from the recording
  2  bad arguments (unknown option, bad --timing, no such --connection, no URL)
  3  the file cannot be read, is not JSON, or is not a valid recording (the message says where)
  4  the server cannot be reached (connection refused, unknown host, unreachable network)
  5  the WebSocket handshake failed (HTTP status other than 101, subprotocol refused, handshake timeout)
  6  the connection closed or broke before every frame was sent`;

import type { Streams } from './streams';
export type { Streams } from './streams';

function progressBar(stderr: (text: string) => void) {
  return (sent: number, total: number, received: number) => {
    const width = 24;
    const filled = total === 0 ? width : Math.round((sent / total) * width);
    stderr(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${sent}/${total} sent, ${received} received`);
  };
}

/** What `ws-inspector` alone, or `--help`, prints: both commands, then each one's help. */
export const COMMANDS_HELP = `Usage: ws-inspector <command> <file.wsi.json | file.har> [options]

Commands:
  replay   send a recorded connection's frames to a server again; print or check (--expect) the replies
  stats    counts, rates, latency percentiles by message type and heartbeats of a recorded session

Run "ws-inspector <command> --help" for a command's options.

${HELP}

${STATS_HELP}`;

export async function run(argv: string[], streams: Streams): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    streams.stdout(COMMANDS_HELP + '\n');
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === 'stats') return runStats(rest, streams);
  if (command !== 'replay') {
    streams.stderr(`ws-inspector: unknown command ${JSON.stringify(command)}\n\n${COMMANDS_HELP}\n`);
    return EXIT.usage;
  }
  const args = commandArgs<{ url?: string; connection?: string; timing?: string; expect?: boolean; ignore?: string[]; wait?: string; 'handshake-timeout'?: string; quiet?: boolean }>(
    'replay',
    rest,
    {
      url: { type: 'string' },
      connection: { type: 'string' },
      timing: { type: 'string' },
      expect: { type: 'boolean' },
      ignore: { type: 'string', multiple: true },
      wait: { type: 'string' },
      'handshake-timeout': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    HELP,
    streams,
  );
  if (typeof args === 'number') return args;
  const { values, file } = args;
  const number = millisecondsOption;

  try {
    const timing = parseTiming(values.timing ?? 'original');
    const waitMs = number('wait', values.wait, 1000);
    const handshakeTimeoutMs = number('handshake-timeout', values['handshake-timeout'], 10_000);
    if (values.url !== undefined && !/^wss?:\/\//i.test(values.url)) throw new UsageError(`--url ${JSON.stringify(values.url)}: expected a ws:// or wss:// URL`);
    const ignoreText = values.ignore ?? [];
    if (ignoreText.length > 0 && !values.expect) throw new UsageError('--ignore only applies with --expect');
    const ignore: JsonPathPattern[] = ignoreText.map((path) => {
      try {
        return parseJsonPath(path);
      } catch (error) {
        if (error instanceof JsonPathError) throw new UsageError(`--ignore ${error.message}`);
        throw error;
      }
    });

    const session = await readSessionFile(file, streams);

    const script = replayScript(session, { connection: values.connection, url: values.url, timing });
    for (const note of script.notes) streams.stderr(`note: ${note}\n`);

    const quiet = values.quiet ?? false;
    const bar = streams.stderrIsTTY ? progressBar(streams.stderr) : null;
    const result = await replay(script, {
      out: (line) => {
        if (quiet) return;
        if (bar) streams.stderr('\r\x1b[K');
        streams.stdout(line + '\n');
      },
      progress: bar,
      waitMs,
      stopAfter: values.expect ? script.expected.length : undefined,
      handshakeTimeoutMs,
    });
    if (bar) streams.stderr('\r\x1b[K');
    streams.stderr(`sent ${result.sent} frame${result.sent === 1 ? '' : 's'}, received ${result.received.length}\n`);

    if (values.expect) {
      const diff = diffReplies(script.expected, result.received, { ignore, ignoreText });
      if (diff) {
        streams.stdout(`--expect: FAIL\n${diff}\n`);
        return EXIT.mismatch;
      }
      const ignoring = ignoreText.length > 0 ? ` (ignoring ${ignoreText.join(', ')})` : '';
      streams.stdout(`--expect: OK, all ${script.expected.length} replies match the recording${ignoring}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    return failureExit('replay', error, streams);
  }
}
