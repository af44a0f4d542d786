import { badInput } from './errors.ts';

export const MAX_PAGE_SIZE = 100;

/** Validates `first` (0..100) and decodes `after`, an opaque cursor over the sort key. */
export function pageArgs<K>(
  first: number | null | undefined,
  after: string | null | undefined,
  isKey: (v: unknown) => v is K,
): { limit: number; after: K | undefined } {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_SIZE)
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, { field: 'first' });
  if (after === null || after === undefined) return { limit, after: undefined };
  let key: unknown;
  try {
    const text = Buffer.from(after, 'base64url').toString('utf8');
    // A NUL byte can never be part of a key (PostgreSQL text refuses it).
    key = text.includes('\u0000') || text.includes('\\u0000') ? undefined : JSON.parse(text);
  } catch {
    key = undefined;
  }
  if (!isKey(key)) throw badInput('after is not a valid cursor', { field: 'after' });
  return { limit, after: key };
}

export const encodeCursor = (key: unknown): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** Builds a Relay connection from `limit + 1` rows fetched in order. */
export function connection<R, N>(rows: R[], limit: number, cursorKey: (row: R) => unknown, node: (row: R) => N) {
  const page = rows.slice(0, limit);
  const edges = page.map((row) => ({ cursor: encodeCursor(cursorKey(row)), node: node(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === 'string' && uuidPattern.test(v);
/** The canonical (lower-case) form of a UUID, or undefined if `v` is none: `…0A` and `…0a` are one id. */
export const uuidOf = (v: unknown): string | undefined => (isUuid(v) ? v.toLowerCase() : undefined);

/**
 * A cursor guard for pages listed newest first by a time field and an id: `{ [field]: ISO time, id: UUID }`.
 */
export const timeAndIdKey =
  <F extends string>(field: F) =>
  (v: unknown): v is { [K in F]: string } & { id: string } => {
    const c = v as Record<string, unknown> | null;
    return (
      typeof c === 'object' &&
      c !== null &&
      isUuid(c.id) &&
      typeof c[field] === 'string' &&
      !Number.isNaN(Date.parse(c[field] as string))
    );
  };
