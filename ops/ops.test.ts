import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The operations files agree with each other: every alert Prometheus loads has its section in the
 * troubleshooting guide, under the anchor its runbook link names. (That every metric the alerts and
 * the dashboard query is served is checked against a running system: tests/metrics.e2e.ts.)
 */
const read = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
const alerts = read('./prometheus/alerts.yml');
const guide = read('../docs/troubleshooting.md');

describe('the alerts', () => {
  const names = [...alerts.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);
  const runbooks = [...alerts.matchAll(/runbook: docs\/troubleshooting\.md#(\S+)$/gm)].map((m) => m[1]!);
  const sections = [...guide.matchAll(/^## (\w+)$/gm)].map((m) => m[1]!);

  it('each link to their own section of the troubleshooting guide', () => {
    expect(names.length).toBeGreaterThan(5);
    expect(runbooks).toEqual(names.map((n) => n.toLowerCase()));
    expect(sections).toEqual(names);
  });
});
