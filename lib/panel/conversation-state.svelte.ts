/**
 * The conversation on screen, read the way an engineer reads it (#13): request↔response pairs and their latency,
 * the later items of streams (subscriptions) tied to the request that opened them, unanswered requests, heartbeats, per-connection and per-session stats, and the timeline's buckets. Computed off
 * the main thread over the session's stored rows (lib/io/conversation-worker.ts, through conversation-job.ts), and
 * kept up to date as rows arrive.
 *
 * The root calls `show(scope)` whenever the session on screen, its rows or its decoders may have changed (entering
 * a session, each refresh, "Decode as"). The slice starts the analysis over when the session, the site's pair paths
 * or the decoder of a connection already read changed, and otherwise asks the worker to go on from where it stopped,
 * at most every `continueMs`. What the worker says about each row is kept in typed arrays (conversation-tables.ts);
 * `version` is bumped when they change, so the grid and filters read again.
 *
 * The user's request↔response JSON paths are kept per site (the origin of the session's page) in settings.
 */
import { PAIRING_DECODERS, parseIdPath, type PairPaths, type SessionAnalysisResult } from '../analysis';
import type { TimelineData } from '../analysis/timeline-buckets';
import type { ConversationReply } from '../io/conversation-handler';
import type { FrameRecord } from '../shared/records';
import { startConversationWorker, type ConversationChannel } from './conversation-job';
import { ConversationTables, type RowPairFacts } from './conversation-tables';
import type { PanelSettings } from './panel-settings';

/** A message row's place in a pair: its request or response, or a later item of a stream (conversation-tables.ts). */
export type RowPair = RowPairFacts;

/** What the root shows: the session, its site and the decoders in use. */
export interface ConversationScope {
  sessionId: string | null;
  /** Origin of the session's page ('' when unknown): pair paths are kept per site. */
  site: string;
  decoderIds: Record<string, string>;
}

export interface ConversationOptions {
  /** The worker (tests: the handler in-process). */
  channel?: () => ConversationChannel;
  /** A continue at most this often (live traffic). */
  continueMs?: number;
  /** Requests unanswered this long are flagged (pairing's default: 30 s). */
  timeoutMs?: number;
  /** While requests wait for an answer and no row comes, look again this often (they may have timed out). */
  recheckMs?: number;
  /** Pairs or flags changed (the root rescans a view filtered by them). */
  changed?: () => void;
}

/** Settings key of a site's pair paths. */
export const pairPathsKey = (site: string): string => `pairPaths:${site}`;

/** The site of a page URL: its origin ('' when it has none, e.g. an imported file's). */
export function siteOf(pageUrl: string | undefined): string {
  try {
    const origin = new URL(pageUrl ?? '').origin;
    return origin === 'null' ? '' : origin;
  } catch {
    return '';
  }
}

/** Why `paths` cannot pair (undefined: they can). */
export function pairPathsError(paths: PairPaths): string | undefined {
  for (const [name, source] of [['Request path', paths.request], ['Response path', paths.response]] as const) {
    if (source.trim() === '') return `${name}: empty`;
    try {
      parseIdPath(source);
    } catch (error) {
      return `${name}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}

function parsePairPaths(value: unknown): PairPaths | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { request, response } = value as Partial<Record<keyof PairPaths, unknown>>;
  if (typeof request !== 'string' || typeof response !== 'string') return undefined;
  const paths = { request, response };
  return pairPathsError(paths) === undefined ? paths : undefined;
}

/** Decoders analysis reads frames with (lib/analysis/pair-keys.ts); the others read frames as plain JSON or text. */
const READER_DECODERS = new Set([...PAIRING_DECODERS, 'sockjs']);
const readerOf = (decoderId: string | null | undefined): string | null => (decoderId && READER_DECODERS.has(decoderId) ? decoderId : null);

export class ConversationState {
  /** Figures for the session on screen (null until computed). */
  result = $state.raw<SessionAnalysisResult | null>(null);
  timeline = $state.raw<TimelineData | null>(null);
  /** A computation is under way. */
  busy = $state(false);
  /** Bumped when pairs or heartbeats change, so the grid re-reads what it shows. */
  version = $state(0);
  /** Rows analysed, of the session's rows. */
  analysed = $state(0);
  total = $state(0);
  /** Why the analysis failed ('' when it did not). */
  error = $state('');
  /** Pair paths per site, as loaded (null: none saved). */
  sitePaths = $state.raw<Record<string, PairPaths | null>>({});

  private readonly settings: PanelSettings;
  private readonly options: ConversationOptions;
  private channel: ConversationChannel | undefined;
  private readonly tables = new ConversationTables();
  private generation = 0;
  private scope: ConversationScope | null = null;
  /** Session and pair paths the running analysis is for. */
  private startedKey = '';
  /** Decoders the worker was given (at start and since). */
  private sentDecoders: Record<string, string> = {};
  private continueTimer: ReturnType<typeof setTimeout> | undefined;
  private continueDue = 0;
  private lastContinue = 0;

  constructor(settings: PanelSettings, options: ConversationOptions = {}) {
    this.settings = settings;
    this.options = options;
  }

  private get continueMs(): number {
    return this.options.continueMs ?? 1000;
  }

  private post(request: Parameters<ConversationChannel['post']>[0]): void {
    if (!this.channel) {
      this.channel = (this.options.channel ?? startConversationWorker)();
      this.channel.onReply((reply) => this.receive(reply));
    }
    this.channel.post(request);
  }

  /** The session on screen, its rows or decoders may have changed: start over or go on (see the module comment). */
  async show(scope: ConversationScope): Promise<void> {
    this.scope = scope;
    if (scope.sessionId === null) {
      this.stop();
      return;
    }
    const paths = await this.loadPairPaths(scope.site);
    if (this.scope !== scope) return; // another call came meanwhile
    const key = JSON.stringify([scope.sessionId, paths ?? null]);
    if (key !== this.startedKey || this.decodersChanged(scope.decoderIds)) {
      this.restart(scope, paths, key);
      return;
    }
    this.continueSoon();
  }

  /**
   * A connection already read is now decoded otherwise, in a way that reads its frames differently (a connection
   * read undecoded counts; plain JSON and other decoders without ids of their own read as undecoded).
   */
  private decodersChanged(decoderIds: Record<string, string>): boolean {
    const differ = (id: string, before: string | null) => readerOf(decoderIds[id]) !== readerOf(before);
    for (const [id, decoder] of Object.entries(this.sentDecoders)) if (differ(id, decoder)) return true;
    for (const c of this.result?.connections ?? []) if (differ(c.connectionId, c.decoderId)) return true;
    return false;
  }

  private restart(scope: ConversationScope, paths: PairPaths | undefined, key: string): void {
    this.clearTimer();
    this.generation++;
    this.startedKey = key;
    this.sentDecoders = { ...scope.decoderIds };
    this.tables.clear();
    this.result = null;
    this.timeline = null;
    this.analysed = this.total = 0;
    this.error = '';
    this.busy = true;
    this.version++;
    this.lastContinue = Date.now();
    this.post({ type: 'start', generation: this.generation, options: { sessionId: scope.sessionId!, decoderIds: { ...scope.decoderIds }, pairPaths: paths ?? null, timeoutMs: this.options.timeoutMs } });
  }

  /** Asks the worker to go on, at most every continueMs (or in `after` ms). */
  private continueSoon(after = 0): void {
    const wait = Math.max(after, this.lastContinue + this.continueMs - Date.now());
    // One timer: an earlier one stays, a later one (a recheck) gives way to a sooner ask (rows came).
    if (this.continueTimer !== undefined && this.continueDue <= Date.now() + wait) return;
    this.clearTimer();
    this.continueDue = Date.now() + wait;
    this.continueTimer = setTimeout(() => {
      this.continueTimer = undefined;
      const scope = this.scope;
      if (!scope || scope.sessionId === null) return;
      this.lastContinue = Date.now();
      const added: Record<string, string> = {};
      for (const [id, decoder] of Object.entries(scope.decoderIds)) if (!(id in this.sentDecoders)) added[id] = this.sentDecoders[id] = decoder;
      this.busy = true;
      this.post({ type: 'continue', generation: this.generation, decoderIds: added });
    }, wait);
  }

  private clearTimer(): void {
    clearTimeout(this.continueTimer);
    this.continueTimer = undefined;
  }

  /** No session on screen: forget the analysis. */
  private stop(): void {
    this.clearTimer();
    this.generation++;
    this.startedKey = '';
    this.sentDecoders = {};
    this.tables.clear();
    this.result = null;
    this.timeline = null;
    this.analysed = this.total = 0;
    this.busy = false;
    this.version++;
  }

  private receive(reply: ConversationReply): void {
    if (reply.generation !== this.generation && reply.generation !== -1) return;
    if (reply.type === 'error') {
      this.error = reply.message;
      this.busy = false;
      return;
    }
    const { update, done } = reply;
    this.tables.apply(update.patches);
    this.result = update.result;
    this.timeline = update.timeline;
    this.analysed = update.analysed;
    this.total = update.total;
    this.busy = !done;
    if (update.patches.length > 0) {
      this.version++;
      this.options.changed?.();
    }
    // Requests still waiting time out by the clock: look again later even when no row comes.
    if (done && update.outstanding > 0) this.continueSoon(this.options.recheckMs ?? 5000);
  }

  /** Stops the worker (the panel is closing). */
  dispose(): void {
    this.clearTimer();
    this.generation++;
    this.channel?.close();
    this.channel = undefined;
  }

  /** The session has pairs or unanswered requests (the grid's Latency column shows then). */
  get hasPairs(): boolean {
    const session = this.result?.session;
    return session !== undefined && session.pairs + session.unanswered > 0;
  }

  /** The row's pair, if it has one. */
  pairOf(row: FrameRecord): RowPair | undefined {
    void this.version;
    return row.kind === 'frame' ? this.tables.pairOf(row.connectionId, row.seq) : undefined;
  }

  /** A request with no response (timed out, or none by the end of its connection's capture). */
  isUnanswered(row: FrameRecord): boolean {
    void this.version;
    return row.kind === 'frame' && this.tables.isUnanswered(row.connectionId, row.seq);
  }

  isHeartbeat(row: FrameRecord): boolean {
    void this.version;
    return row.kind === 'frame' && this.tables.isHeartbeat(row.connectionId, row.seq);
  }

  /** The user's request↔response JSON paths for a site (undefined: the protocol's own ids only, or not loaded yet). */
  pairPaths(site: string): PairPaths | undefined {
    return this.sitePaths[site] ?? undefined;
  }

  /** Reads a site's pair paths from settings once (unreadable or malformed: none). */
  async loadPairPaths(site: string): Promise<PairPaths | undefined> {
    if (site in this.sitePaths) return this.pairPaths(site);
    let paths: PairPaths | undefined;
    try {
      paths = parsePairPaths(await this.settings.read(pairPathsKey(site)));
    } catch {
      paths = undefined;
    }
    if (!(site in this.sitePaths)) this.sitePaths = { ...this.sitePaths, [site]: paths ?? null };
    return this.pairPaths(site);
  }

  /** Saves (or, with null, forgets) a site's pair paths; the analysis of a session of that site starts over. Throws on invalid paths. */
  async setPairPaths(site: string, paths: PairPaths | null): Promise<void> {
    const next = paths ? { request: paths.request.trim(), response: paths.response.trim() } : null;
    if (next) {
      const error = pairPathsError(next);
      if (error) throw new Error(error);
    }
    this.sitePaths = { ...this.sitePaths, [site]: next };
    if (next) await this.settings.write(pairPathsKey(site), next);
    else await this.settings.remove(pairPathsKey(site));
    if (this.scope && this.scope.site === site) await this.show(this.scope);
  }
}
