import { describe, expect, it } from 'vitest';
import { moduleGraph } from '../harness/index.ts';

const loads = (entry: string, options?: { atStart?: boolean }) => [...moduleGraph(entry, options).files];

describe('the gateway process', () => {
  it('loads no subgraph, subgraph hosting, saga or composition code', () => {
    const loaded = loads('gateway/index.ts');
    expect(loaded).toContain('gateway/server.ts');
    expect(loaded.filter((f) => /^(subgraphs|saga|system|runtime\/subgraph)\//.test(f))).toEqual([]);
  });

  it('loads no database code when it starts: no db/, no outbox or inbox, no drizzle or postgres driver', () => {
    const loaded = loads('gateway/index.ts', { atStart: true });
    expect(loaded).toContain('messaging/kafka.ts');
    expect(loaded.filter((f) => /^db\/|^messaging\/(inbox|outbox|tables|runtime|participant)\.ts$/.test(f))).toEqual(
      [],
    );
    // A service does load them (through the dynamic import the gateway never reaches).
    expect(loads('runtime/infrastructure.ts')).toContain('db/client.ts');
  });

  it('is what the check follows: the composition root does load every service', () => {
    const loaded = loads('system/embedded.ts');
    for (const service of ['order', 'inventory', 'payment']) expect(loaded).toContain(`subgraphs/${service}/server.ts`);
  });
});
