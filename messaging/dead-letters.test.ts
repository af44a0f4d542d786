import { describe, expect, it } from 'vitest';
import { deadLetterOf, MAX_REPLAYS, matches, mayReplay, replayOf } from './dead-letters.ts';

/** The dead-letter tool's rules, without a broker: what a filter selects, what a replay sends, the loop guard. */
const letter = (headers: Record<string, string> = {}, timestamp = Date.parse('2026-11-29T12:00:00Z')) =>
  deadLetterOf('inventory.commands.dlq', {
    partition: 2,
    offset: '41',
    timestamp: String(timestamp),
    key: 'o1',
    value: '{"id":"m1"}',
    headers: {
      'message-id': 'm1',
      'message-type': 'ReserveInventory',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'dlq-reason': 'failed 10 times: database unavailable',
      'dlq-consumer': 'inventory',
      'dlq-source': 'inventory.commands/2/17',
      ...headers,
    },
  });

describe('a dead letter', () => {
  it('is read from its headers: where it came from, why, and how often it was replayed', () => {
    expect(letter({ 'dlq-replays': '2' })).toMatchObject({
      position: 'inventory.commands.dlq/2/41',
      topic: 'inventory.commands',
      source: 'inventory.commands/2/17',
      reason: 'failed 10 times: database unavailable',
      consumer: 'inventory',
      type: 'ReserveInventory',
      messageId: 'm1',
      replays: 2,
      at: new Date('2026-11-29T12:00:00Z'),
    });
  });

  it.each([
    [{ topic: 'inventory.commands' }, true],
    [{ topic: 'inventory.commands.dlq' }, true],
    [{ topic: 'payment.commands' }, false],
    [{ reason: 'DATABASE' }, true],
    [{ reason: 'invalid' }, false],
    [{ since: new Date('2026-11-29T12:00:00Z') }, true],
    [{ since: new Date('2026-11-29T12:00:01Z') }, false],
    [{ until: new Date('2026-11-29T12:00:00Z') }, false],
    [{ positions: ['inventory.commands.dlq/2/41'] }, true],
    [{ positions: ['inventory.commands.dlq/2/40'] }, false],
  ])('is selected by %o: %s', (filter, selected) => {
    expect(matches(letter(), filter)).toBe(selected);
  });

  it('is replayed as it was first sent, without the dead-letter headers, one replay more and saying from where', () => {
    const replay = replayOf(letter({ 'dlq-replays': '1' }));
    expect(replay).toEqual({
      key: 'o1',
      value: '{"id":"m1"}',
      headers: {
        'message-id': 'm1',
        'message-type': 'ReserveInventory',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'dlq-replays': '2',
        'dlq-replayed-from': 'inventory.commands.dlq/2/41',
      },
    });
  });

  it(`is held back by the loop guard once replayed ${MAX_REPLAYS} times, unless forced`, () => {
    expect(mayReplay(letter({ 'dlq-replays': String(MAX_REPLAYS - 1) }))).toBe(true);
    expect(mayReplay(letter({ 'dlq-replays': String(MAX_REPLAYS) }))).toBe(false);
    expect(mayReplay(letter({ 'dlq-replays': String(MAX_REPLAYS) }), true)).toBe(true);
    expect(mayReplay(letter({ 'dlq-replays': 'garbage' }))).toBe(true);
  });
});
