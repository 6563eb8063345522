/**
 * Retention: how many sessions and bytes the store keeps (a setting in the `settings` store), and which sessions go
 * when it holds more. The background enforces it a little after rows are stored (lib/worker/background-hub.ts);
 * planEviction is the pure part.
 */
import type { SessionRecord } from '../shared/records';
import type { InspectorDatabase } from './schema';
import { deleteSession } from './write';

export interface RetentionSettings {
  maxSessions: number;
  maxBytes: number;
}
export const DEFAULT_RETENTION: RetentionSettings = { maxSessions: 100, maxBytes: 1024 * 1024 * 1024 };

export async function getRetention(db: InspectorDatabase): Promise<RetentionSettings> {
  const stored = (await db.get('settings', 'retention')) as Partial<RetentionSettings> | undefined;
  return { ...DEFAULT_RETENTION, ...stored };
}

export async function setRetention(db: InspectorDatabase, settings: RetentionSettings): Promise<void> {
  await db.put('settings', settings, 'retention');
}

/**
 * Evicts the oldest sessions until at most `maxSessions` remain and their bytes fit in `maxBytes`.
 * Sessions in `keep` (live captures) are never evicted, nor those `stillLive` names among the ones that would be
 * (asked only of those: a page whose relay is not connected may still be on its session). Returns the evicted ids.
 */
export async function enforceRetention(
  db: InspectorDatabase,
  settings: RetentionSettings,
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
 */
export function planEviction(sessions: SessionRecord[], settings: RetentionSettings, keep: ReadonlySet<string>): string[] {
  const evict: string[] = [];
  const rest: SessionRecord[] = [];
  for (const session of sessions) {
    const empty = session.source === 'captured' && session.connectionCount === 0 && session.frameCount === 0;
    if (empty && !keep.has(session.id)) evict.push(session.id);
    else rest.push(session);
  }
  let count = rest.length;
  let bytes = rest.reduce((sum, s) => sum + s.bytes, 0);
  for (const session of rest) {
    if (count <= settings.maxSessions && bytes <= settings.maxBytes) break;
    if (keep.has(session.id)) continue;
    evict.push(session.id);
    count--;
    bytes -= session.bytes;
  }
  return evict;
}
