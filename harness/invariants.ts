import { finalOrderStatuses } from '../messaging/index.ts';
/**
 * What must hold in a system at rest, however it got there: checked after the crash tests and by
 * `npm run chaos`, straight from each service's tables.
 */
export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

type Sql = <T extends object>(query: string) => Promise<T[]>;

export async function checkInvariants(
  sql: Sql,
  { finalStatuses = [...finalOrderStatuses] as string[] } = {},
): Promise<Invariant[]> {
  const invariants: Invariant[] = [];
  const add = (name: string, ok: boolean, detail: string) => invariants.push({ name, ok, detail });

  const open = await sql<{ status: string; n: number }>(
    `select status, count(*)::int as n from orders.orders where status not in (${finalStatuses.map((s) => `'${s}'`).join(',')}) group by status`,
  );
  const byStatus = await sql<{ status: string; n: number }>(
    `select status, count(*)::int as n from orders.orders group by status order by status`,
  );
  add('every order final', open.length === 0, byStatus.map((r) => `${r.status}=${r.n}`).join(' ') || 'no orders');

  const sagas = await sql<{ status: string; n: number }>(
    `select status, count(*)::int as n from saga.instances group by status order by status`,
  );
  add(
    'every saga finished (COMPLETED or COMPENSATED)',
    sagas.every((r) => r.status === 'COMPLETED' || r.status === 'COMPENSATED'),
    sagas.map((r) => `${r.status}=${r.n}`).join(' ') || 'no sagas',
  );

  const unbalanced = await sql<{ sku: string }>(
    `select sku from inventory.products where received <> available + reserved + sold`,
  );
  add(
    'per product: received = available + reserved + sold',
    unbalanced.length === 0,
    unbalanced.length ? `unbalanced: ${unbalanced.map((r) => r.sku).join(', ')}` : 'all balanced',
  );

  const held = await sql<{ sku: string; reserved: number }>(
    `select sku, reserved from inventory.products where reserved <> 0`,
  );
  add(
    'nothing reserved at rest',
    held.length === 0,
    held.length ? held.map((r) => `${r.sku}:${r.reserved}`).join(', ') : 'reserved = 0 everywhere',
  );

  const [sold] = await sql<{ ok: boolean; detail: string }>(`
    with s as (select coalesce(sum(sold), 0)::bigint as sold from inventory.products),
         c as (select coalesce(sum(i.quantity), 0)::bigint as units from orders.orders o join orders.order_items i on i.order_id = o.id where o.status = 'COMPLETED')
    select s.sold = c.units as ok, 'sold ' || s.sold || ', units in completed orders ' || c.units as detail from s, c`);
  add('units sold = units of COMPLETED orders', sold!.ok, sold!.detail);

  const [money] = await sql<{ ok: boolean; detail: string }>(`
    with l as (select coalesce(sum(amount_cents) filter (where kind = 'CHARGE' and outcome = 'APPROVED'), 0)::bigint as charged,
                      coalesce(sum(amount_cents) filter (where kind = 'REFUND'), 0)::bigint as refunded
               from payments.simulated_provider_ledger),
         o as (select coalesce(sum(total_cents), 0)::bigint as completed from orders.orders where status = 'COMPLETED')
    select l.charged - l.refunded = o.completed as ok,
           'charged ' || l.charged || ' - refunded ' || l.refunded || ' = ' || (l.charged - l.refunded) || ' cents; COMPLETED orders total ' || o.completed || ' cents' as detail
    from l, o`);
  add('approved - refunded = total of COMPLETED orders', money!.ok, money!.detail);

  const twice = await sql<{ order_id: string; n: number }>(
    `select order_id, count(*)::int as n from payments.simulated_provider_ledger where kind = 'CHARGE' and outcome = 'APPROVED' group by order_id having count(*) > 1`,
  );
  add(
    'no order charged twice',
    twice.length === 0,
    twice.length ? `${twice.length} orders charged more than once` : 'at most one charge per order',
  );

  const refundedTwice = await sql<{ order_id: string }>(
    `select order_id from payments.simulated_provider_ledger where kind = 'REFUND' group by order_id having count(*) > 1`,
  );
  add(
    'no order refunded twice',
    refundedTwice.length === 0,
    refundedTwice.length ? `${refundedTwice.length} orders refunded more than once` : 'at most one refund per order',
  );

  const [outbox] = await sql<{ n: number }>(`
    select (select count(*) from orders.outbox where published_at is null)
         + (select count(*) from inventory.outbox where published_at is null)
         + (select count(*) from payments.outbox where published_at is null) as n`);
  add('no message left unpublished in an outbox', Number(outbox!.n) === 0, `${outbox!.n} unpublished`);

  return invariants;
}

export function formatInvariants(invariants: Invariant[]): string {
  const width = Math.max(...invariants.map((i) => i.name.length));
  return invariants.map((i) => `${i.ok ? 'PASS' : 'FAIL'}  ${i.name.padEnd(width)}  ${i.detail}`).join('\n');
}
