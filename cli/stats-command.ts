/**
 * `ws-inspector stats <file>`: the figures the panel shows for a recorded session (counts, bytes, rates, sizes,
 * top message types, silences, heartbeats, latency percentiles by method or message type), as a table or, with
 * --json, as JSON. The file is read like replay reads it (lib/io/formats/detect.ts), each connection decoded as
 * the panel would detect it, and analysed in one pass in session order (lib/analysis/session-analysis.ts).
 */
import { chooseDecoder, listDecoders } from '../lib/analysis/decoder-choice';
import { JsonPathError, parseIdPath } from '../lib/analysis/json-path';
import { SessionAnalysis, type SessionRow } from '../lib/analysis/session-analysis';
import type { PortableConnection, PortableRow } from '../lib/io/formats/model';
import { mergeByTime } from '../lib/io/merge-by-time';
import { base64ToBytes } from '../lib/shared/wire';
import { EXIT } from './replay';
import { UsageError, chooseConnection } from './replay-script';
import { statsTable, type ConnectionHeading } from './stats-table';
import type { Streams } from './streams';
import { commandArgs, failureExit, millisecondsOption, readSessionFile } from './command-args';

export const STATS_HELP = `Usage: ws-inspector stats <file.wsi.json | file.har> [options]

Prints what a recorded session holds, per connection: frames and bytes each way, rates, a size histogram,
the top message types, the longest silences, detected heartbeats, and request↔response latency (count, p50,
p95, p99, max and unanswered requests) by method or message type. Requests and responses pair by the
protocol's ids (JSON-RPC, GraphQL over WebSocket, Socket.IO acks, SignalR, STOMP receipts, MQTT packet ids,
WAMP), or by two JSON paths you give.

Options:
  --connection <n|text>     only this connection: its number (1 = first) or part of its URL (default: all)
  --decoder <id>            read the connection(s) as this protocol instead of the detected one
                            (${listDecoders().map((d) => d.id).join(', ')})
  --request-id <json-path>  with --response-id: pair a message whose <json-path> holds an id (e.g. $.id)
  --response-id <json-path> with the message whose <json-path> holds the same id (e.g. $.replyTo); paths
                            like $.a.b, $.a[0], $['x']; the same path twice pairs by direction
  --timeout <ms>            a request with no response this long after it is unanswered (default 30000)
  --json                    print the figures as JSON instead of a table
  -h, --help                this help

Exit codes:
  0  done
  2  bad arguments (unknown option, bad path or number, no such --connection or --decoder)
  3  the file cannot be read, is not JSON, or is not a valid recording (the message says where)`;

/** A file row as analysis reads it: text as is, base64 as bytes, an omitted payload as none. */
function toSessionRow(row: PortableRow, connectionId: string): SessionRow {
  const data = row.kind !== 'frame' || row.payloadOmitted || row.data === undefined ? undefined : row.encoding === 'base64' || (row.encoding === undefined && row.opcode === 2) ? toArrayBuffer(base64ToBytes(row.data)) : row.data;
  const size = row.size ?? (typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : (data?.byteLength ?? 0));
  return { connectionId, seq: row.seq, time: row.time, kind: row.kind, dir: row.dir, opcode: row.opcode, data, size, status: row.status };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

export async function runStats(argv: string[], streams: Streams): Promise<number> {
  const args = commandArgs<{ connection?: string; decoder?: string; 'request-id'?: string; 'response-id'?: string; timeout?: string; json?: boolean }>(
    'stats',
    argv,
    {
      connection: { type: 'string' },
      decoder: { type: 'string' },
      'request-id': { type: 'string' },
      'response-id': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    },
    STATS_HELP,
    streams,
  );
  if (typeof args === 'number') return args;
  const { values, file } = args;
  try {
    const timeoutMs = millisecondsOption('timeout', values.timeout, 30_000);
    const decoders = listDecoders();
    if (values.decoder !== undefined && !decoders.some((d) => d.id === values.decoder)) throw new UsageError(`--decoder ${JSON.stringify(values.decoder)}: expected one of ${decoders.map((d) => d.id).join(', ')}`);
    if ((values['request-id'] === undefined) !== (values['response-id'] === undefined)) throw new UsageError('--request-id and --response-id go together');
    const pairPaths = values['request-id'] !== undefined ? { request: values['request-id'], response: values['response-id']! } : undefined;
    try {
      if (pairPaths) [pairPaths.request, pairPaths.response].forEach(parseIdPath);
    } catch (error) {
      if (error instanceof JsonPathError) throw new UsageError(error.message);
      throw error;
    }

    const session = await readSessionFile(file, streams);
    let chosen: Array<{ connection: PortableConnection; index: number }>;
    if (values.connection !== undefined) {
      const { connection, index, notes } = chooseConnection(session, values.connection);
      for (const note of notes) streams.stderr(`note: ${note}\n`);
      chosen = [{ connection, index }];
    } else chosen = session.connections.map((connection, i) => ({ connection, index: i + 1 }));

    const headings = new Map<string, ConnectionHeading>();
    const decoderIds: Record<string, string | null> = {};
    const rows: SessionRow[][] = [];
    for (const { connection, index } of chosen) {
      const id = `#${index}`;
      const connectionRows = connection.rows.map((r) => toSessionRow(r, id));
      const decoderId = values.decoder ?? chooseDecoder(connection, connectionRows);
      decoderIds[id] = decoderId;
      headings.set(id, { index, url: connection.url, decoder: decoderId === null ? null : (decoders.find((d) => d.id === decoderId)?.label ?? decoderId) });
      rows.push(connectionRows);
    }

    const analysis = new SessionAnalysis({ decoderIds, pairPaths, timeoutMs });
    // Session order, as the store keeps an imported session: the session's gaps are silences across connections.
    let page: SessionRow[] = [];
    for (const [ci, ri] of mergeByTime(rows.map((r) => ({ rows: r })))) {
      page.push(rows[ci][ri]);
      if (page.length === 4096) {
        analysis.push(page);
        page = [];
      }
    }
    analysis.push(page);
    analysis.finish();
    const result = analysis.result();

    if (values.json) {
      const connections = result.connections
        .map(({ connectionId, decoderId, ...figures }) => ({ index: headings.get(connectionId)!.index, url: headings.get(connectionId)!.url, decoder: decoderId, ...figures }))
        .sort((a, b) => a.index - b.index);
      streams.stdout(JSON.stringify({ file, format: session.format, session: result.session, connections }, null, 2) + '\n');
    } else streams.stdout(statsTable(file, headings, result));
    return EXIT.ok;
  } catch (error) {
    return failureExit('stats', error, streams);
  }
}
