/**
 * `ws-inspector stats <file>`: the figures the panel shows for a recorded session (counts, rates, latency
 * percentiles by message type, heartbeats), as a table or, with --json, as JSON.
 */
import type { Streams } from './streams';

export async function runStats(argv: string[], streams: Streams): Promise<number> {
  streams.stderr(`ws-inspector stats: not built yet (${argv.length} arguments)\n`);
  return 2;
}
