/** Rows of one connection as the store gives them (FrameRecord), for the analysis tests. */
import type { FrameRecord } from '../../../lib/shared/records';

export class Conversation {
  readonly rows: FrameRecord[] = [];
  private seq = 0;
  time = 1_700_000_000_000;

  constructor(readonly connectionId = 'c1') {}

  /** A frame `afterMs` after the previous row (text for strings, binary otherwise). */
  frame(dir: 'send' | 'receive', data: string | ArrayBuffer | Uint8Array, afterMs = 10, extra: Partial<FrameRecord> = {}): FrameRecord {
    this.time += afterMs;
    const payload = data instanceof Uint8Array ? data.slice().buffer : data;
    const row: FrameRecord = {
      sessionId: 's1',
      connectionId: this.connectionId,
      seq: ++this.seq,
      time: this.time,
      kind: 'frame',
      dir,
      opcode: typeof payload === 'string' ? 1 : 2,
      data: payload,
      size: typeof payload === 'string' ? new TextEncoder().encode(payload).length : payload.byteLength,
      ...extra,
    };
    this.rows.push(row);
    return row;
  }

  send(data: string | ArrayBuffer | Uint8Array, afterMs?: number, extra?: Partial<FrameRecord>) {
    return this.frame('send', data, afterMs, extra);
  }

  receive(data: string | ArrayBuffer | Uint8Array, afterMs?: number, extra?: Partial<FrameRecord>) {
    return this.frame('receive', data, afterMs, extra);
  }

  control(kind: 'open' | 'close' | 'error', afterMs = 0): FrameRecord {
    this.time += afterMs;
    const row: FrameRecord = { sessionId: 's1', connectionId: this.connectionId, seq: ++this.seq, time: this.time, kind, size: 0 };
    this.rows.push(row);
    return row;
  }
}
