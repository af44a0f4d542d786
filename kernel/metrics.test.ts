import { ApolloServer, HeaderMap } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { badInput } from './errors.ts';
import { boundedLabel, createMetrics, graphqlRequestMetrics } from './metrics.ts';

const text = async (metrics: ReturnType<typeof createMetrics>) => (await metrics.scrape()).body;

describe('metrics', () => {
  it('keeps at most `max` distinct values of a label a client chooses, and names the rest other', () => {
    const label = boundedLabel(2);
    expect([label('A'), label('B'), label('C'), label('A')]).toEqual(['A', 'B', 'other', 'A']);
    expect(label(undefined)).toBe('other');
    expect(boundedLabel()(undefined)).toBe('anonymous');
    expect(boundedLabel()('a name with spaces {and braces}')).toBe('invalid');
  });

  it('reads counters kept elsewhere and gauges at each scrape, labelled with the service', async () => {
    const metrics = createMetrics('order', { processMetrics: false });
    let handled = 3;
    metrics.counterOf('sagaway_things_total', 'things', ['kind'], () => [[{ kind: 'a' }, handled]]);
    metrics.gauge('sagaway_queue_messages', 'queue', [], (g) => g.set(handled * 2));
    expect(await text(metrics)).toContain('sagaway_things_total{kind="a",service="order"} 3');
    handled = 5;
    const body = await text(metrics);
    expect(body).toContain('sagaway_things_total{kind="a",service="order"} 5');
    expect(body).toContain('sagaway_queue_messages{service="order"} 10');
  });

  it('keeps a gauge as it was when reading it fails or hangs, and serves every other metric', async () => {
    const metrics = createMetrics('order', { processMetrics: false });
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    metrics.gauge('sagaway_backlog_messages', 'backlog', [], async (g) => {
      if (mode === 'fail') throw new Error('the database is away');
      if (mode === 'hang') await new Promise(() => {});
      g.set(7);
    });
    metrics.counterOf('sagaway_things_total', 'things', [], () => [[{}, 1]]);
    expect(await text(metrics)).toContain('sagaway_backlog_messages{service="order"} 7');
    mode = 'fail';
    expect(await text(metrics)).toContain('sagaway_backlog_messages{service="order"} 7');
    mode = 'hang';
    const body = await text(metrics);
    expect(body).toContain('sagaway_backlog_messages{service="order"} 7');
    expect(body).toContain('sagaway_things_total{service="order"} 1');
  });

  it("counts GraphQL requests over HTTP by operation and outcome: ok, the caller's error, the system's", async () => {
    const metrics = createMetrics('gateway', { processMetrics: false });
    const requests = graphqlRequestMetrics(metrics);
    const server = new ApolloServer({
      typeDefs: 'type Query { ok: Int, bad: Int, boom: Int }',
      resolvers: {
        Query: {
          ok: () => 1,
          bad: () => {
            throw badInput('no');
          },
          boom: () => {
            throw new Error('bug');
          },
        },
      },
      plugins: [requests.plugin],
      stopOnTerminationSignals: false,
    });
    await server.start();
    const post = (query: string) =>
      server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          headers: new HeaderMap([['content-type', 'application/json']]),
          body: { query },
          search: '',
        },
        context: async () => ({}),
      });
    await post('query Fine { ok }');
    await post('query Fine { ok }');
    await post('query Wrong { bad }');
    await post('query Broken { boom }');
    await post('query Invalid { nope }');
    // Not over HTTP: the gateway's own reads are not requests.
    await server.executeOperation({ query: 'query Fine { ok }' });
    await server.stop();
    const body = await text(metrics);
    const count = (labels: string) =>
      Number(
        new RegExp(`^sagaway_graphql_requests_total\\{${labels},service="gateway"\\} (\\d+)$`, 'm').exec(body)?.[1],
      );
    expect(count('operation="Fine",type="query",outcome="ok"')).toBe(2);
    expect(count('operation="Wrong",type="query",outcome="client_error"')).toBe(1);
    expect(count('operation="Broken",type="query",outcome="error"')).toBe(1);
    // Refused before its operation was resolved: its name is not known yet.
    expect(count('operation="anonymous",type="unknown",outcome="client_error"')).toBe(1);
    const durations = body
      .split('\n')
      .find((l) => l.startsWith('sagaway_graphql_request_duration_seconds_count{') && l.includes('operation="Fine"'));
    expect(durations).toMatch(/outcome="ok".* 2$/);
  });
});
