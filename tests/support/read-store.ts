/**
 * Reads everything in the extension's IndexedDB (schema version 2, lib/store/schema.ts) as one flat snapshot for
 * tests: sessions, connections, and every row of every (columnar) chunk as its own record. `snapshotStore` runs in the
 * browser (the Chromium service worker, or an extension page in Firefox): pass it to `evaluate`. It is
 * serialised as source, so it uses nothing from outside its own body.
 */

/** One stored row; binary payloads come back as base64. */
export interface StoredRow {
  sessionId: string;
  connectionId: string;
  seq: number;
  time: number;
  kind: string;
  /** Position in the session and in the connection (only with `positions: true`). */
  pos?: number;
  cpos?: number;
  dir?: string;
  opcode?: number;
  text?: string;
  base64?: string;
  size: number;
  origin?: string;
  status?: string;
  note?: string;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  protocol?: string;
  rule?: string;
}

/** What the store holds. `frames` are all rows (frames and open/close/error), ordered by session, connection, seq. */
export interface StoredSnapshot {
  sessions: Array<Record<string, unknown> & { id: string; tabId: number | null; frameCount: number; rowCount: number }>;
  connections: Array<Record<string, unknown> & { id: string; url: string; sessionId: string; state: string; rowCount: number }>;
  frames: StoredRow[];
}

export interface SnapshotOptions {
  /** Payloads as `text` / `base64` (default true). */
  withPayload?: boolean;
  /**
   * Adds each row's `pos` and `cpos`. Off by default: a session's positions depend on the order its rows were
   * written (a captured session interleaves its connections, an imported one need not), and specs compare rows
   * of different sessions.
   */
  positions?: boolean;
}

/** Runs in the browser: see the module comment. One read-only transaction, so the three lists agree. */
export async function snapshotStore({ withPayload = true, positions = false }: SnapshotOptions): Promise<StoredSnapshot> {
  const open = indexedDB.open('websocket-inspector');
  // Never create the database here: an empty version 1 made by a test would stop the extension's own upgrade.
  open.onupgradeneeded = () => open.transaction!.abort();
  const db: IDBDatabase = await new Promise((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(new Error(`no database yet (${String(open.error)})`));
  });
  try {
    const tx = db.transaction(['sessions', 'connections', 'chunks']);
    const all = (store: string): Promise<any[]> =>
      new Promise((resolve, reject) => {
        const req = tx.objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    const [sessions, connections, chunks] = await Promise.all([all('sessions'), all('connections'), all('chunks')]);
    const toBase64 = (buf: ArrayBuffer) => {
      const bytes = new Uint8Array(buf);
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };
    // Chunk records are columnar: see lib/store/chunk-codec.ts's FrameChunk (its rowsOfChunk is the definition).
    const KINDS = ['frame', 'open', 'close', 'error'];
    const ORIGINS = ['page', 'inspector', 'simulated'];
    const STATUSES = ['sent', 'dropped', 'refused', 'blocked'];
    const frames: StoredRow[] = [];
    // Binary payloads kept in a Blob (FrameChunk.bin): the rows of binRows, back to back, `size` bytes each.
    for (const chunk of chunks) {
      if (!chunk.bin) continue;
      const bytes: ArrayBuffer = await chunk.bin.arrayBuffer();
      let at = 0;
      for (const i of chunk.binRows) {
        chunk.data[i] = bytes.slice(at, at + chunk.size[i]);
        at += chunk.size[i];
      }
      if (at !== bytes.byteLength) throw new Error(`chunk ${chunk.pos}: ${bytes.byteLength} bytes in its Blob, ${at} in its rows`);
    }
    for (const chunk of chunks) {
      const extra = new Map<number, object>(chunk.extra);
      for (let i = 0; i < chunk.seq.length; i++) {
        const flags: number = chunk.flags[i];
        const row: Record<string, unknown> = {
          sessionId: chunk.sessionId, connectionId: chunk.ids[chunk.conn[i]], seq: chunk.seq[i], time: chunk.time[i], kind: KINDS[flags & 3], size: chunk.size[i],
        };
        if (positions) Object.assign(row, { pos: chunk.pos + i, cpos: chunk.cpos[i] });
        if (row.kind === 'frame') {
          Object.assign(row, { dir: flags & 4 ? 'receive' : 'send', opcode: flags & 8 ? 2 : 1, origin: ORIGINS[(flags >> 4) & 3], status: STATUSES[flags >> 6] });
          const data = chunk.data[i];
          if (withPayload && typeof data === 'string') row.text = data;
          if (withPayload && data instanceof ArrayBuffer) row.base64 = toBase64(data);
        }
        Object.assign(row, extra.get(i));
        frames.push(row as unknown as StoredRow);
      }
    }
    // The order of version 1's primary key, which the specs were written against.
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    frames.sort((a, b) => compare(a.sessionId, b.sessionId) || compare(a.connectionId, b.connectionId) || a.seq - b.seq);
    return { sessions, connections, frames };
  } finally {
    db.close();
  }
}
