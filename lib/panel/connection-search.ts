/**
 * The replay dialog's connection picker: which connections a typed query names. "#3" is connection 3 only; other
 * text matches the number or any part of the URL, case-insensitively (a session may hold thousands of sockets).
 */

export interface PickableConnection {
  id: string;
  /** The connection's number in its session (#1 is the first opened). */
  number: number;
  url: string;
}

/** Options shown at most: past it the user types more. */
export const MAX_PICKER_OPTIONS = 200;

export function connectionMatches(query: string, connection: PickableConnection): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  const numbered = /^#(\d+)$/.exec(q);
  if (numbered) return connection.number === Number(numbered[1]);
  return String(connection.number) === q || connection.url.toLowerCase().includes(q);
}

/** The connections a query names, in order, at most `max`; `more` counts the ones left out. */
export function searchConnections<T extends PickableConnection>(query: string, connections: readonly T[], max = MAX_PICKER_OPTIONS): { shown: T[]; more: number } {
  const shown: T[] = [];
  let more = 0;
  for (const c of connections) {
    if (!connectionMatches(query, c)) continue;
    if (shown.length < max) shown.push(c);
    else more++;
  }
  return { shown, more };
}
