/**
 * Filtering rows by decoded fields. Query syntax (terms are ANDed, case-insensitive):
 *   `event:chat`      field `event` contains "chat"
 *   `topic=sensors/1` field `topic` equals "sensors/1"; `*` in a value matches any run (`topic=sensors/*`)
 *   `method:`         field `method` is present
 *   `chat`            any field value contains "chat"
 *   `-type:ping`      negation of any term
 *   `event:"chat message"`  quotes for spaces
 * A multi-valued field (array) matches when any of its values does.
 */
import type { DecodedFields, FieldValue } from './types';

export interface FilterTerm {
  negate: boolean;
  /** Lower-cased field name, or undefined for "any field". */
  field?: string;
  op: 'contains' | 'equals' | 'present';
  value: string;
}

export function parseDecodedFilter(query: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  const tokens = query.match(/-?(?:[^\s"]*"[^"]*"?[^\s"]*|[^\s"]+)+/g) ?? [];
  for (let token of tokens) {
    let negate = false;
    if (token.startsWith('-') && token.length > 1) {
      negate = true;
      token = token.slice(1);
    }
    const unquote = (s: string) => s.replace(/"/g, '');
    const match = /^([^:="]+)([:=])(.*)$/.exec(token);
    if (match) {
      const value = unquote(match[3]).toLowerCase();
      const op = match[2] === '=' ? 'equals' : value === '' ? 'present' : 'contains';
      terms.push({ negate, field: match[1].toLowerCase(), op, value });
    } else {
      terms.push({ negate, op: 'contains', value: unquote(token).toLowerCase() });
    }
  }
  return terms;
}

function valueMatches(value: FieldValue, term: FilterTerm): boolean {
  if (Array.isArray(value)) return value.some((v) => valueMatches(v, term));
  const text = String(value).toLowerCase();
  if (term.op === 'present') return true;
  if (term.op === 'contains') return text.includes(term.value);
  if (!term.value.includes('*')) return text === term.value;
  const pattern = new RegExp(`^${term.value.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return pattern.test(text);
}

function termMatches(fields: DecodedFields, term: FilterTerm): boolean {
  if (term.field === undefined) return Object.values(fields).some((v) => valueMatches(v, term));
  const entry = Object.entries(fields).find(([k]) => k.toLowerCase() === term.field);
  return entry !== undefined && valueMatches(entry[1], term);
}

/**
 * True when decoded `fields` match `query` (see the syntax above). An empty query matches everything; a frame
 * that could not be decoded has no fields (pass `{}`) and matches only negated or empty queries.
 */
export function matchesDecodedFilter(fields: DecodedFields | undefined, query: string | FilterTerm[]): boolean {
  const terms = typeof query === 'string' ? parseDecodedFilter(query) : query;
  const f = fields ?? {};
  return terms.every((term) => termMatches(f, term) !== term.negate);
}
