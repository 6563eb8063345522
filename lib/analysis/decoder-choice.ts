/**
 * Which decoder reads a connection when nobody chose one (the CLI, an export): lib/decoders' detection from the
 * subprotocol, URL and first frames, so `ws-inspector stats` reads a file as the panel would.
 */
import { detectDecoder } from '../decoders/index';
import type { ConnectionLike, FrameLike } from '../decoders/types';

/** The detected decoder id of a connection from its rows (the first data frames are sniffed), or null. */
export function chooseDecoder(connection: ConnectionLike, rows: readonly FrameLike[]): string | null {
  const firstFrames: FrameLike[] = [];
  for (const row of rows) {
    if ((row.kind ?? 'frame') !== 'frame' || row.data === undefined) continue;
    firstFrames.push(row);
    if (firstFrames.length === 5) break;
  }
  return detectDecoder(connection, firstFrames).id;
}

/** Decoder ids and labels, for a CLI's --decoder check. */
export { listDecoders } from '../decoders/index';
