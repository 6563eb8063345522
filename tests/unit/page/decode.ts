/** Reads a page-events message back into one object per event, as the relay does (tests only). */
import { PACKED_EXTRA, PACKED_ROW_WIDTH } from '@/lib/shared/protocol';
import { decodeRowCode } from '@/lib/shared/packed-batch';

export function eventsOf(msg: any): any[] {
  const out: any[] = [];
  let textAt = 0;
  let bytesAt = 0;
  const rows: Float64Array = msg.rows;
  for (let r = 0; r < rows.length; r += PACKED_ROW_WIDTH) {
    const [code, index, seq, time, length] = rows.subarray(r, r + PACKED_ROW_WIDTH);
    if (code === PACKED_EXTRA) {
      out.push({ ...msg.events[index] });
      continue;
    }
    const decoded = decodeRowCode(code)!;
    let data: string | number[];
    if (decoded.opcode === 1) {
      data = msg.text.slice(textAt, textAt + length);
      textAt += length;
    } else {
      data = [...new Uint8Array(msg.binary, bytesAt, length)];
      bytesAt += length;
    }
    out.push({ k: 'frame', socketId: msg.ids[index], seq, time, dir: decoded.dir, data, origin: decoded.origin, status: decoded.status });
  }
  return out;
}

/** Every event of every page-events message in `received`, in order. */
export function allEvents(received: any[]): any[] {
  return received.filter((m) => m.type === 'page-events').flatMap(eventsOf);
}
