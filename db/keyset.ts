import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * The keyset condition of a page listed newest first by (time, id): the rows after the cursor's
 * row, as one row comparison an index on (time desc, id desc) answers with a range scan.
 */
export const olderThan = (time: AnyPgColumn, id: AnyPgColumn, cursor: { at: string; id: string }): SQL =>
  sql`(${time}, ${id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`;
