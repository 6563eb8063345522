import { createFrameReader, type PairPaths } from '../../../lib/analysis/pair-keys';
import { ConnectionPairing, type Pair, type PairingOptions, type UnansweredRequest } from '../../../lib/analysis/pairing';
import type { FrameRecord } from '../../../lib/shared/records';

/** Pairs rows with the reader of `decoderId`; returns pairs as [request seq, response seq, label, latency] and the rest. */
export function pairRows(decoderId: string | null, rows: FrameRecord[], options: PairingOptions & { pairPaths?: PairPaths } = {}) {
  const pairs: Pair[] = [];
  const unanswered: UnansweredRequest[] = [];
  const pairing = new ConnectionPairing('c1', createFrameReader(decoderId, { pairPaths: options.pairPaths }), { ...options, onPair: (p) => pairs.push(p), onUnanswered: (u) => unanswered.push(u) });
  pairing.push(rows);
  pairing.finish();
  return {
    pairing,
    pairs: pairs.map((p) => [p.requestSeq, p.responseSeq, p.label, p.latencyMs] as const),
    unanswered: unanswered.map((u) => [u.requestSeq, u.label, u.reason] as const),
  };
}
