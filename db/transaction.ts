import type { Db } from './database.ts';

/** Work to do once a transaction committed, by transaction: nothing of a rolled-back one runs. */
const afterCommit = new WeakMap<Db, (() => void)[]>();

/**
 * `db.transaction(work)`, after which what `onCommit` registered in it runs — only if it committed.
 * Every transaction whose work may call `onCommit` is opened here.
 */
export async function transaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const callbacks: (() => void)[] = [];
  const result = await db.transaction(async (tx) => {
    afterCommit.set(tx as Db, callbacks);
    try {
      return await work(tx as Db);
    } finally {
      afterCommit.delete(tx as Db);
    }
  });
  for (const callback of callbacks) {
    try {
      callback();
    } catch {
      // The transaction committed: a failing observer must not make its caller think otherwise.
    }
  }
  return result;
}

/**
 * Runs `callback` once `tx` committed (metrics that must count what happened, not what was
 * attempted). `tx` must come from `transaction`: anything else is a bug and throws.
 */
export function onCommit(tx: Db, callback: () => void): void {
  const callbacks = afterCommit.get(tx);
  if (!callbacks) throw new Error('onCommit needs a transaction opened by transaction() (db/transaction.ts)');
  callbacks.push(callback);
}
