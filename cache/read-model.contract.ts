import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from './cache.ts';
import { createReadModel } from './read-model.ts';

/** The read model's promises, on every cache: the memory one and Redis. */
export function describeReadModel(name: string, open: () => Promise<Cache>) {
  describe(`the read model on ${name}`, () => {
    let cache: Cache;
    beforeAll(async () => {
      cache = await open();
    });
    afterAll(() => cache?.close());
    const model = () => createReadModel<{ status: string }>(cache, `test-${randomUUID().slice(0, 8)}`, 60);

    it('returns what was put, and counts hits and misses', async () => {
      const views = model();
      expect(await views.get('o1')).toBeNull();
      await views.put('o1', 1, { status: 'PENDING' });
      expect(await views.get('o1')).toEqual({ status: 'PENDING' });
      expect(views.stats()).toEqual({ hits: 1, misses: 1 });
    });

    it("answers a claim with the first value stored, on every caller's side", async () => {
      const key = `claim-${randomUUID()}`;
      expect(await cache.claim([[key, 'first']], 60)).toEqual(['first']);
      expect(
        await cache.claim(
          [
            [key, 'second'],
            [`${key}-other`, 'other'],
          ],
          60,
        ),
      ).toEqual(['first', 'other']);
      expect(await cache.getMany([key])).toEqual(['first']);
    });

    it('never replaces a view with an older one', async () => {
      const views = model();
      await views.put('o1', 3, { status: 'PAYMENT_CONFIRMED' });
      await views.put('o1', 2, { status: 'INVENTORY_CONFIRMED' });
      expect(await views.get('o1')).toEqual({ status: 'PAYMENT_CONFIRMED' });
    });

    it('refuses a stale view after an invalidation, and accepts the announced version', async () => {
      const views = model();
      await views.put('o1', 1, { status: 'PENDING' });
      await views.invalidate('o1', 2);
      expect(await views.get('o1')).toBeNull();
      // A reader that loaded version 1 before the change must not put it back.
      await views.put('o1', 1, { status: 'PENDING' });
      expect(await views.get('o1')).toBeNull();
      await views.put('o1', 2, { status: 'INVENTORY_CONFIRMED' });
      expect(await views.get('o1')).toEqual({ status: 'INVENTORY_CONFIRMED' });
      // An announcement older than what is cached changes nothing.
      await views.invalidate('o1', 1);
      expect(await views.get('o1')).toEqual({ status: 'INVENTORY_CONFIRMED' });
    });

    it('forgets a view on eviction', async () => {
      const views = model();
      await views.put('o1', 5, { status: 'COMPLETED' });
      await views.evict(['o1']);
      expect(await views.get('o1')).toBeNull();
    });
  });
}
