/**
 * Writes a session straight into the extension's IndexedDB, in the schema lib/store/schema.ts defines (version 2:
 * rows in columnar chunks), for tests and benchmarks that need more rows than a page could send in reasonable time.
 *
 * `seedStore` runs inside the browser (a Chromium service worker or any extension page, Firefox too): pass it to
 * `evaluate` with its arguments, e.g. `sw.evaluate(seedStore, seedArgs({ … }))`. It is serialised as source, so
 * it uses nothing from outside its own body. Call it after the extension has created its database: opening it
 * first would create an empty version-1 database the extension never upgrades.
 *
 * It appends: the session and its connections are created when absent, otherwise their counters go on from what
 * is stored, so a large session can be written over several `evaluate` calls (Firefox's BiDi allows 180 s each).
 * Every counter the writers keep (rowCount, frameCount, bytes, sent/received counts and bytes, lastSeq,
 * connectionCount, lastActivity) is computed from the rows written, in the transactions that write them.
 */
import { CHUNK_BYTES, CHUNK_ROWS } from '../../lib/store/chunk-codec';

/** A payload: text, or binary as its bytes (an ArrayBuffer does not survive every `evaluate`). */
export type SeedPayload = string | number[];

export interface SeedSession {
  id: string;
  tabId: number | null;
  pageUrl: string;
  title: string;
  startedAt: number;
  source?: 'captured' | 'imported';
  /** lib/shared/records.ts SessionRecord's, stored as given on a new session. */
  payloadCap?: { limit: number; reachedAt: number; droppedFrames: number; droppedBytes: number };
  captureGaps?: Array<{ frameUrl: string; reason: 'hand-over-failed'; time: number }>;
}

/** A connection's own fields; its counters come from the rows. */
export interface SeedConnection {
  id: string;
  url: string;
  startedAt: number;
  protocols?: string[];
  protocol?: string;
  extensions?: string;
  frameUrl?: string;
  state?: 'connecting' | 'open' | 'closed' | 'error';
  openedAt?: number;
  closedAt?: number;
  closeCode?: number;
  closeReason?: string;
  wasClean?: boolean;
  errored?: boolean;
  /** lib/shared/records.ts ConnectionRecord's: its page went away while it was open. */
  pageGone?: { reason: 'page-closed' | 'crashed'; time: number };
}

/** One row written as given (its seq is the connection's next). */
export interface SeedRow {
  connectionId: string;
  time: number;
  kind: 'frame' | 'open' | 'close' | 'error';
  dir?: 'send' | 'receive';
  data?: SeedPayload;
  origin?: 'page' | 'inspector';
  status?: 'sent' | 'blocked' | 'dropped';
  protocol?: string;
  extensions?: string;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  /** A frame's note (e.g. lib/store/payload-cap.ts capNote). */
  note?: string;
  /** A frame stored without its payload (past its session's cap) but counted with this size. */
  payloadless?: number;
}

/**
 * `count` generated frames, after the given rows. Frame i (numbered from `from`, so a run continued in a later
 * call keeps its pattern) goes to connectionIds[i % length] at firstTime + i * timeStep, in direction
 * dirs[i % length], with payloads[i % length]. In a text payload `{seq}` becomes the frame's seq, `{i}` its number
 * and `{i:6}` its number zero-padded to 6 digits.
 */
export interface SeedRun {
  count: number;
  from?: number;
  connectionIds: string[];
  firstTime: number;
  timeStep: number;
  dirs: Array<'send' | 'receive'>;
  payloads: SeedPayload[];
}

export interface SeedArgs {
  session: SeedSession;
  connections?: SeedConnection[];
  rows?: SeedRow[];
  run?: SeedRun;
  /** Rows per transaction (each also rewrites the session and connection records). */
  txRows?: number;
  /** lib/store/chunk-codec.ts's chunk limits (seedArgs fills them in). */
  limits: { rows: number; bytes: number };
}

export interface SeedResult {
  /** Rows written by this call. */
  written: number;
  /** The session's rows in all, and its frames. */
  rowCount: number;
  frameCount: number;
}

/** Adds lib/store/chunk-codec.ts's chunk limits to the arguments of seedStore. */
export function seedArgs(args: Omit<SeedArgs, 'limits'>): SeedArgs {
  return { ...args, limits: { rows: CHUNK_ROWS, bytes: CHUNK_BYTES } };
}

/** Runs in the browser: see the module comment. Self-contained by necessity. */
export async function seedStore(args: SeedArgs): Promise<SeedResult> {
  const { session: seedSession, connections: seedConnections = [], rows: givenRows = [], run, txRows = 32_768, limits } = args;
  const db: IDBDatabase = await new Promise((resolve, reject) => {
    const open = indexedDB.open('websocket-inspector');
    open.onupgradeneeded = () => open.transaction!.abort();
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(new Error(`seedStore: the extension has not created its database yet (${String(open.error)})`));
  });
  const request = <T>(req: IDBRequest<T>): Promise<T> =>
    new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  const done = (tx: IDBTransaction): Promise<void> =>
    new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('seedStore: transaction aborted'));
    });
  try {
    if (!db.objectStoreNames.contains('chunks')) throw new Error('seedStore: the database has no chunks store (not schema version 2)');
    const sessionId = seedSession.id;

    // The stored records, or new ones: counters go on from them.
    const read = db.transaction(['sessions', 'connections']);
    const session = (await request(read.objectStore('sessions').get(sessionId))) ?? {
      ...seedSession, source: seedSession.source ?? 'captured', lastActivity: seedSession.startedAt, connectionCount: 0, frameCount: 0, bytes: 0, rowCount: 0,
    };
    const connections = new Map<string, any>();
    for (const c of seedConnections) {
      const stored = await request(read.objectStore('connections').get(c.id));
      if (stored && stored.sessionId !== sessionId) throw new Error(`seedStore: connection ${c.id} belongs to session ${stored.sessionId}`);
      connections.set(c.id, stored ?? {
        protocols: [], protocol: '', extensions: '', frameUrl: seedSession.pageUrl, state: 'open', errored: false, ...c,
        sessionId, pageUrl: seedSession.pageUrl, sentCount: 0, receivedCount: 0, sentBytes: 0, receivedBytes: 0, lastSeq: 0, rowCount: 0,
      });
      if (!stored) session.connectionCount++;
    }
    for (const id of new Set([...givenRows.map((r) => r.connectionId), ...(run?.connectionIds ?? [])])) {
      if (!connections.has(id)) {
        const stored = await request(read.objectStore('connections').get(id));
        if (!stored || stored.sessionId !== sessionId) throw new Error(`seedStore: rows for connection ${id}, which is not in session ${sessionId} (list it in connections)`);
        connections.set(id, stored);
      }
    }

    const utf8Length = (s: string) => {
      let n = 0;
      for (let k = 0; k < s.length; k++) {
        const c = s.charCodeAt(k);
        if (c < 0x80) n += 1;
        else if (c < 0x800) n += 2;
        else if (c >= 0xd800 && c < 0xdc00) {
          n += 4;
          k++;
        } else n += 3;
      }
      return n;
    };
    // A fresh ArrayBuffer per row: rows sharing one would come back sharing it from the structured clone.
    const payloadOf = (data: SeedPayload): string | ArrayBuffer => (typeof data === 'string' ? data : new Uint8Array(data).buffer);

    // A chunk record in the columnar shape of lib/store/chunk-codec.ts's FrameChunk (its packChunk is the definition).
    const ORIGINS = ['page', 'inspector', 'simulated'];
    const STATUSES = ['sent', 'dropped', 'refused', 'blocked'];
    const RARE = ['note', 'rule', 'original', 'code', 'reason', 'wasClean', 'protocol', 'extensions'];
    const pack = (first: number, rows: any[], connPos: [string, string, number][], connSeq: [string, string, number][]) => {
      const n = rows.length;
      const ids = connPos.map((entry) => entry[1]);
      const record = {
        sessionId, pos: first, ids, conn: new Uint16Array(n), seq: new Float64Array(n), cpos: new Float64Array(n), time: new Float64Array(n),
        size: new Float64Array(n), flags: new Uint8Array(n), data: [] as (string | ArrayBuffer | null)[], extra: [] as [number, object][], connPos, connSeq,
      };
      rows.forEach((row, i) => {
        record.conn[i] = ids.indexOf(row.connectionId);
        record.seq[i] = row.seq;
        record.cpos[i] = row.cpos;
        record.time[i] = row.time;
        record.size[i] = row.size;
        record.flags[i] =
          row.kind === 'frame'
            ? (row.dir === 'receive' ? 1 << 2 : 0) | (row.opcode === 2 ? 1 << 3 : 0) | (ORIGINS.indexOf(row.origin) << 4) | (STATUSES.indexOf(row.status) << 6)
            : ['frame', 'open', 'close', 'error'].indexOf(row.kind);
        record.data.push(row.kind === 'frame' ? (row.data ?? null) : null);
        const rare = Object.fromEntries(RARE.filter((key) => row[key] !== undefined).map((key) => [key, row[key]]));
        if (Object.keys(rare).length > 0) record.extra.push([i, rare]);
      });
      return record;
    };

    // Chunks as lib/store/chunk-codec.ts's ChunkBuilder makes them.
    let pos: number = session.rowCount;
    let chunk: any[] = [];
    let chunkBytes = 0;
    let connPos: [string, string, number][] = [];
    let connSeq: [string, string, number][] = [];
    let tx: IDBTransaction | undefined;
    let txCount = 0;
    let written = 0;
    const seal = () => {
      if (chunk.length === 0) return;
      tx ??= db.transaction(['sessions', 'connections', 'chunks'], 'readwrite');
      tx.objectStore('chunks').put(pack(pos - chunk.length, chunk, connPos, connSeq));
      chunk = [];
      chunkBytes = 0;
      connPos = [];
      connSeq = [];
    };
    const commit = async () => {
      seal();
      if (!tx) return;
      for (const c of connections.values()) tx.objectStore('connections').put(c);
      tx.objectStore('sessions').put(session);
      await done(tx);
      tx = undefined;
      txCount = 0;
    };
    /** Adds one row; true when the transaction has its share of rows and should be committed. */
    const add = (given: SeedRow): boolean => {
      const connection = connections.get(given.connectionId)!;
      const row: any = { connectionId: given.connectionId, seq: connection.lastSeq + 1, time: given.time, kind: given.kind, size: 0, cpos: connection.rowCount };
      if (given.kind === 'frame') {
        const data = payloadOf(given.data ?? '');
        row.dir = given.dir ?? 'receive';
        row.opcode = typeof data === 'string' ? 1 : 2;
        row.data = given.payloadless === undefined ? data : undefined;
        row.size = given.payloadless ?? (typeof data === 'string' ? utf8Length(data) : data.byteLength);
        row.origin = given.origin ?? 'page';
        row.status = given.status ?? 'sent';
        if (row.status === 'sent') {
          if (row.dir === 'send') {
            connection.sentCount++;
            connection.sentBytes += row.size;
          } else {
            connection.receivedCount++;
            connection.receivedBytes += row.size;
          }
        }
        session.frameCount++;
        session.bytes += row.size;
      }
      for (const key of ['protocol', 'extensions', 'code', 'reason', 'wasClean', 'note'] as const) if (given[key] !== undefined) row[key] = given[key];
      if (connPos.every((entry) => entry[1] !== row.connectionId)) {
        connPos.push([sessionId, row.connectionId, row.cpos]);
        connSeq.push([sessionId, row.connectionId, row.seq]);
      }
      chunk.push(row);
      chunkBytes += row.size;
      connection.lastSeq = row.seq;
      connection.rowCount++;
      session.rowCount = ++pos;
      session.lastActivity = Math.max(session.lastActivity, row.time);
      written++;
      if (chunk.length >= limits.rows || chunkBytes >= limits.bytes) seal();
      return ++txCount >= txRows;
    };

    for (const row of givenRows) if (add(row)) await commit();
    if (run) {
      // Text templates split once: odd parts are placeholders.
      const templates = run.payloads.map((p) => (typeof p === 'string' ? { parts: p.split(/(\{seq\}|\{i(?::\d+)?\})/) } : { bytes: p }));
      const from = run.from ?? 0;
      for (let i = from; i < from + run.count; i++) {
        const connectionId = run.connectionIds[i % run.connectionIds.length];
        const template = templates[i % templates.length];
        let data: SeedPayload;
        if (template.bytes) data = template.bytes;
        else {
          const parts = template.parts!;
          data = parts[0];
          for (let k = 1; k < parts.length; k += 2) {
            const token = parts[k];
            data += token === '{seq}' ? String(connections.get(connectionId).lastSeq + 1) : String(i).padStart(token.length > 3 ? Number(token.slice(3, -1)) : 0, '0');
            data += parts[k + 1];
          }
        }
        if (add({ connectionId, time: run.firstTime + i * run.timeStep, kind: 'frame', dir: run.dirs[i % run.dirs.length], data })) await commit();
      }
    }
    // Connections listed without rows are stored too.
    tx ??= db.transaction(['sessions', 'connections', 'chunks'], 'readwrite');
    await commit();
    return { written, rowCount: session.rowCount, frameCount: session.frameCount };
  } finally {
    db.close();
  }
}

/**
 * The benchmarks' million-row session, the same in Chromium and Firefox: one connection `c`, frames seq 1…n
 * alternating send (odd seq) and receive, three JSON ticks then 24 binary bytes, every 0.25 ms from `t0`.
 * `from`/`count` write a part of it (see SeedRun).
 */
export function tickSessionArgs({ tabId, t0, from = 0, count }: { tabId: number; t0: number; from?: number; count: number }): SeedArgs {
  return seedArgs({
    session: { id: 'bench', tabId, pageUrl: 'https://bench.test/', title: 'bench', startedAt: t0 },
    connections: [{ id: 'c', url: 'wss://bench.test/', startedAt: t0, frameUrl: '' }],
    run: {
      from,
      count,
      connectionIds: ['c'],
      firstTime: t0 + 0.25,
      timeStep: 0.25,
      dirs: ['send', 'receive'],
      payloads: ['{"type":"tick","seq":{seq},"price":123.45}', '{"type":"tick","seq":{seq},"price":123.45}', '{"type":"tick","seq":{seq},"price":123.45}', Array.from({ length: 24 }, (_, k) => k)],
    },
  });
}
