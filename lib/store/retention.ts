/**
 * Retention: which sessions go when the store holds more than the retention setting allows
 * (lib/store/retention-settings.ts). The background enforces it a little after rows are stored
 * (lib/worker/background-hub.ts); planEviction is the pure part.
 */
import type { SessionRecord } from '../shared/records';
import { storedBytes } from './payload-cap';
import { sessionPayloadLimit, type RetentionInput } from './retention-settings';
import type { InspectorDatabase } from './schema';
import { deleteSession } from './write';

/**
 * Evicts the oldest sessions until at most `maxSessions` remain and their bytes fit in `maxBytes`.
 * Sessions in `keep` (live captures) are never evicted, nor those `stillLive` names among the ones that would be
 * (asked only of those: a page whose relay is not connected may still be on its session). Returns the evicted ids.
 */
export async function enforceRetention(
  db: InspectorDatabase,
  settings: RetentionInput,
  keep: ReadonlySet<string> = new Set(),
  stillLive?: (candidates: SessionRecord[]) => Promise<Iterable<string>>,
): Promise<string[]> {
  const sessions = await db.getAllFromIndex('sessions', 'byStartedAt');
  let plan = planEviction(sessions, settings, keep);
  if (stillLive && plan.length > 0) {
    const byId = new Map(sessions.map((s) => [s.id, s]));
    const live = new Set(keep);
    for (const id of await stillLive(plan.map((id) => byId.get(id)!))) live.add(id);
    if (live.size > keep.size) plan = planEviction(sessions, settings, live);
  }
  for (const id of plan) await deleteSession(db, id);
  return plan;
}

/**
 * Pure part of retention: which sessions (oldest first) must go. `sessions` is sorted oldest first.
 * Every page load opens a session, most with no WebSocket at all: captured sessions that stayed empty (and are
 * not live) go first and never count against the cap, so ordinary browsing cannot push real captures out.
 * A session counts the payload bytes it stores (not those its cap kept out), and a live one at most its
 * per-session cap: a runaway page can claim no more than its cap of the total, so it never evicts the user's
 * earlier sessions to make room for what it sends past it.
 */
export function planEviction(sessions: SessionRecord[], settings: RetentionInput, keep: ReadonlySet<string>): string[] {
  const liveLimit = sessionPayloadLimit(settings);
  const counted = (session: SessionRecord): number => (keep.has(session.id) ? Math.min(storedBytes(session), liveLimit) : storedBytes(session));
  const evict: string[] = [];
  const rest: SessionRecord[] = [];
  for (const session of sessions) {
    const empty = session.source === 'captured' && session.connectionCount === 0 && session.frameCount === 0;
    if (empty && !keep.has(session.id)) evict.push(session.id);
    else rest.push(session);
  }
  let count = rest.length;
  let bytes = rest.reduce((sum, s) => sum + counted(s), 0);
  for (const session of rest) {
    if (count <= settings.maxSessions && bytes <= settings.maxBytes) break;
    if (keep.has(session.id)) continue;
    evict.push(session.id);
    count--;
    bytes -= counted(session);
  }
  return evict;
}
