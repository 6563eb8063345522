/**
 * The conversation on screen, read the way an engineer reads it (#13): request↔response pairs and their latency,
 * unanswered requests, heartbeats, per-connection and per-session stats, and the timeline's buckets. Computed off
 * the main thread over the session's stored rows, paged as the grid reads them, and kept up to date as rows arrive.
 * To be built: this is the interface components use.
 */
import type { PairPaths, SessionAnalysisResult } from '../analysis';
import type { TimelineData } from '../analysis/timeline-buckets';
import type { FrameRecord } from '../shared/records';
import type { PanelSettings } from './panel-settings';

/** A message row's place in a pair. */
export interface RowPair {
  role: 'request' | 'response';
  /** The other row's seq, on the same connection. */
  partnerSeq: number;
  latencyMs: number;
  /** Method or message type. */
  label: string;
}

export class ConversationState {
  /** Figures for the session on screen (null until computed). */
  result = $state.raw<SessionAnalysisResult | null>(null);
  timeline = $state.raw<TimelineData | null>(null);
  /** A computation is under way. */
  busy = $state(false);
  /** Bumped when pairs or heartbeats change, so the grid re-reads what it shows. */
  version = $state(0);

  private readonly settings: PanelSettings;

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** The row's pair, if it has one. */
  pairOf(row: FrameRecord): RowPair | undefined {
    void row;
    return undefined;
  }

  /** A request with no response (timed out or none by the end of the capture). */
  isUnanswered(row: FrameRecord): boolean {
    void row;
    return false;
  }

  isHeartbeat(row: FrameRecord): boolean {
    void row;
    return false;
  }

  /** The user's request↔response JSON paths for a site (undefined: the protocol's own ids only). */
  pairPaths(site: string): PairPaths | undefined {
    void site;
    void this.settings;
    return undefined;
  }

  async setPairPaths(site: string, paths: PairPaths | null): Promise<void> {
    void site;
    void paths;
  }
}
