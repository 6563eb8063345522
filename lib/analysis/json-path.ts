/**
 * One value inside a JSON message named by a JSON path, for request↔response pairing by user-defined paths
 * (`$.id` ↔ `$.replyTo`). The syntax is json-diff.ts's (`$.a.b`, `$.a[0]`, `$['x']`, `$["x y"]`), one parser for
 * the panel, `replay --ignore` and pairing; an id path must name one value, so `*` is refused here.
 *
 *   const path = parseIdPath('$.meta.requestId');   // throws JsonPathError on bad syntax or a wildcard
 *   readJsonPath(path, JSON.parse(text));            // the value, or undefined when the path is absent
 */
import { JsonPathError, parseJsonPath, type JsonPathSegment } from './json-diff';

export { JsonPathError, type JsonPathSegment };

export interface JsonPath {
  /** The path as the user wrote it (for messages and saved settings). */
  source: string;
  segments: JsonPathSegment[];
}

/** Parses a path naming one value. Throws JsonPathError naming the problem. */
export function parseIdPath(source: string): JsonPath {
  const segments: JsonPathSegment[] = [];
  for (const segment of parseJsonPath(source.trim())) {
    if (typeof segment === 'object') throw new JsonPathError(`${JSON.stringify(source)}: * names many values; an id path names one (e.g. $.id, $.meta["request id"])`);
    segments.push(segment);
  }
  return { source, segments };
}

/** The value at `path` in `value`, or undefined when any step is missing (never throws). */
export function readJsonPath(path: JsonPath, value: unknown): unknown {
  let current = value;
  for (const segment of path.segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}
