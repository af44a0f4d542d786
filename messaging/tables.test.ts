import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/index.ts';
import type { MessagingTables } from './tables.ts';
import { pruneMessaging } from './tables.ts';
import { openMessagingDatabase } from './testing.ts';

let database: Database;
let inbox: MessagingTables['inbox'];
let outbox: MessagingTables['outbox'];
beforeAll(async () => {
  ({ database, inbox, outbox } = await openMessagingDatabase());
});
afterAll(() => database?.close());

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
const row = (publishedAt: Date | null) => ({
  messageId: randomUUID(),
  topic: 't',
  key: 'k',
  type: 'X',
  envelope: {},
  publishedAt,
});

describe('pruning the outbox and inbox', () => {
  it('deletes only published rows and handled ids older than their retention', async () => {
    const { db } = database;
    await db.insert(outbox).values([row(hoursAgo(48)), row(hoursAgo(1)), row(null)]);
    await db.insert(inbox).values([
      { consumer: 'c', messageId: randomUUID(), type: 'X', handledAt: hoursAgo(200) },
      { consumer: 'c', messageId: randomUUID(), type: 'X', handledAt: hoursAgo(2) },
    ]);
    await pruneMessaging(db, { outbox, inbox }, { outboxBefore: hoursAgo(24), inboxBefore: hoursAgo(168) });
    const left = await db.select().from(outbox);
    expect(left.map((r) => (r.publishedAt ? 'recent' : 'unpublished')).sort()).toEqual(['recent', 'unpublished']);
    expect(await db.select().from(inbox)).toHaveLength(1);
  });
});
