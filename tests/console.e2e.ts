import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client/index.ts';
import { launchChromium, type RunningSystem, startSystem, waitFor } from '../harness/index.ts';

/**
 * The saga console in headless Chromium, on the whole system (real Kafka, PostgreSQL, Redis): an
 * admin signs in, forces the compensation of a running saga, finds the sagas whose compensation
 * could not finish (STUCK: the payment provider refuses refunds, an injected fault), sees why in
 * the timeline, resumes them in bulk, and watches the timeline finish live.
 */
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
const artifacts = path.resolve(import.meta.dirname, 'artifacts');
let system: RunningSystem;
let browser: Browser;
let alice: Client;
let admin: Client;

beforeAll(async () => {
  system = await startSystem('console', {
    env: { SAGA_DEADLINE_MS: '120000' },
    // Two sagas' refunds, five attempts each, are refused; then refunds go through.
    serviceEnv: { payment: { FAULTS: 'payment.refund.fail:10' } },
  });
  alice = await system.client('alice');
  admin = await system.client('ops', { admin: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

// biome-ignore lint/performance/useDomNodeTextContent: what the page shows, as a person reads it
const text = (page: Page, selector: string) => page.locator(selector).innerText();
const countOf = async (page: Page, status: string) => Number(await text(page, `#counts [data-status="${status}"] b`));
const shownOrders = (page: Page) => page.locator('#sagas tbody td.mono').allInnerTexts();

describe('the saga console', () => {
  it('lets an admin force a compensation, find the STUCK sagas, see why, and resume them in bulk', async () => {
    const origin = new URL(system.gatewayUrl).origin;
    // Hold the sagas at the payment: the charges wait in Kafka, so the orders sit at INVENTORY_CONFIRMED.
    const page = await browser.newPage({ viewport: { width: 1600, height: 860 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (ws) => requested.push(ws.url()));
    await system.signal('payment', 'SIGSTOP');
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++)
        ids.push((await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' })).id);
      for (const id of ids)
        await waitFor(
          async () => (await alice.orderStatus(id))!,
          (o) => o.status === 'INVENTORY_CONFIRMED',
          { what: 'the stock to be reserved' },
        );
      const [first, second] = ids as [string, string, string];
      await page.goto(`${origin}/console`);
      // No demo token here (the system has a secret of its own): the page asks for one.
      await page.locator('#token').fill(await system.token('alice'));
      await page.locator('#signin button').click();
      await expect.poll(() => text(page, '#notice')).toContain('needs an admin');
      await page.locator('#token').fill(await system.token('ops', { admin: true }));
      await page.locator('#signin button').click();
      await expect.poll(() => text(page, '#who')).toBe('signed in as ops');
      expect(await page.locator('#signin').isVisible()).toBe(false);
      expect(await countOf(page, 'RUNNING')).toBe(3);

      // Force the first saga to compensate, with a reason the customer will read.
      await page.locator('#counts [data-status="RUNNING"]').click();
      await expect.poll(() => shownOrders(page)).toEqual([...ids].reverse());
      await page.locator(`#sagas tr:has(td:text-is("${first}"))`).click();
      await expect.poll(() => text(page, '#d-facts')).toContain(first);
      await page.locator('#d-reason').fill('Held for a fraud review');
      await page.locator('#d-compensate button').click();
      await expect.poll(() => text(page, '#d-result')).toContain('Compensating');
      await expect.poll(() => text(page, '#d-facts')).toContain('COMPENSATING');
      // The charge was abandoned with its outcome unknown: it is refunded first, then the stock released.
      expect(await page.locator('#d-steps li').last().getAttribute('data-step')).toBe('refundPayment');
      await admin.compensateSaga(second, 'Held for a fraud review');
    } finally {
      await system.signal('payment', 'SIGCONT');
    }
    const [first, second, third] = ids as [string, string, string];

    // The charges go through, the refunds are refused five times each: both sagas are STUCK.
    for (const id of [first, second])
      await waitFor(
        async () => (await admin.orderStatus(id))!,
        (o) => o.saga.status === 'STUCK',
        { what: 'the saga to be STUCK', timeoutMs: 60_000 },
      );
    await waitFor(
      async () => (await alice.orderStatus(third))!,
      (o) => o.status === 'COMPLETED',
      { what: 'the untouched order to complete' },
    );

    await page.locator('#filters button').click();
    await expect.poll(() => countOf(page, 'STUCK')).toBe(2);
    await page.locator('#counts [data-status="STUCK"]').click();
    await expect.poll(() => shownOrders(page)).toEqual([second, first]);
    await page.locator(`#sagas tr:has(td:text-is("${first}"))`).click();
    await expect.poll(() => text(page, '#d-steps')).toContain('The payment provider refused the refund');
    expect(await text(page, '#d-steps li[data-step="refundPayment"]')).toContain('5 attempts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'console-stuck.png') });

    // Resume both at once; the refunds now go through, and the open timeline follows live.
    await page.locator('#retry-all').click();
    await expect.poll(() => text(page, '#bulk-result')).toBe('Resumed 2 sagas.');
    await expect.poll(() => text(page, '#d-facts'), { timeout: 30_000 }).toContain('COMPENSATED');
    await expect.poll(() => text(page, '#d-live')).toMatch(/order FAILED/);
    expect(await page.locator('#d-steps li').evaluateAll((li) => li.map((l) => l.getAttribute('data-step')))).toEqual([
      'reserveInventory',
      'chargePayment',
      'refundPayment',
      'releaseInventory',
    ]);
    // A saga that has ended offers no repair.
    expect(await page.locator('#d-compensate').isVisible()).toBe(false);
    expect(await page.locator('#d-retry').isVisible()).toBe(false);
    await page.locator('#counts [data-status="ALL"]').click();
    await expect.poll(() => countOf(page, 'COMPENSATED')).toBe(2);
    expect(await countOf(page, 'ALL')).toBe(3);
    expect(await page.locator('#bulk').isVisible()).toBe(false);
    await page.screenshot({ path: path.join(artifacts, 'console-saga.png') });

    for (const id of [first, second]) {
      const order = (await alice.order(id))!;
      expect(order).toMatchObject({ status: 'FAILED', failureReason: 'Held for a fraud review' });
      expect(order.payment).toMatchObject({ status: 'REFUNDED' });
    }
    // Served offline: nothing but this gateway was asked for anything, and the timeline came over its socket.
    const ws = origin.replace(/^http/, 'ws');
    expect(requested.filter((url) => !url.startsWith(origin) && !url.startsWith(ws))).toEqual([]);
    expect(requested.some((url) => url.startsWith(ws))).toBe(true);
  });
});
