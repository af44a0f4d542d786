import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Client, placeWithRetry } from '../client/index.ts';
import { freePort, launchChromium, type RunningSystem, startSystem, waitFor } from '../harness/index.ts';
import { startKafka } from './kafka.ts';

/**
 * `npm run dashboard:preview`: the Grafana dashboard's panels on real data, where no Grafana is at
 * hand. It runs the whole system on real Kafka, PostgreSQL and Redis under a mixed load (orders
 * completed, declined, cancelled, reads, a few STUCK sagas), has a real Prometheus (Debian's
 * `prometheus` package) scrape every process, evaluates every query of
 * ops/grafana/dashboards/sagaway.json through Prometheus's API, and draws the panels where the
 * dashboard places them into a PNG (headless Chromium). A query Prometheus refuses fails the run.
 * It is a preview of the dashboard's data, not Grafana's rendering of it.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    out: { type: 'string', default: 'docs/images/dashboard.png' },
  },
});
const root = path.resolve(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';

type Target = { expr: string; legendFormat?: string };
type Panel = {
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
};
const dashboard = JSON.parse(readFileSync(path.join(root, 'ops/grafana/dashboards/sagaway.json'), 'utf8')) as {
  panels: Panel[];
};

async function startPrometheus(system: RunningSystem): Promise<{ url: string; stop(): void }> {
  const dir = path.join(tmpdir(), `sagaway-prometheus-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const targets = (['gateway', 'order', 'inventory', 'payment'] as const).map(
    (name) => new URL(system.serviceUrl(name)).host,
  );
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 2s }\nscrape_configs:\n  - job_name: sagaway\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`,
  );
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  child.on('error', (err) => {
    process.stderr.write(`prometheus did not start (apt-get install prometheus): ${err.message}\n`);
    process.exit(1);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    () =>
      fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      ),
    (ok) => ok,
    { what: 'Prometheus to be ready' },
  );
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Orders of every kind, as fast as `perSecond`, until `until`. */
async function load(customers: Client[], admin: Client, until: number, perSecond: number) {
  let n = 0;
  while (Date.now() < until) {
    const started = Date.now();
    const batch = Array.from({ length: perSecond }, async () => {
      const i = n++;
      const client = customers[i % customers.length]!;
      const token = i % 10 === 3 ? 'tok_chargeDeclined' : i % 25 === 7 ? 'tok_timeout' : 'tok_visa';
      try {
        const order = await placeWithRetry(client, {
          items: [{ productId: i % 2 ? BOOK : NOTEBOOK, quantity: 1 }],
          paymentToken: token,
        });
        await client.order(order.id);
        if (i % 20 === 11) await client.cancelOrder(order.id).catch(() => {});
      } catch {}
    });
    await Promise.all([...batch, admin.sagas({ first: 20, status: 'RUNNING' }).catch(() => {})]);
    await sleep(Math.max(0, 1000 - (Date.now() - started)));
  }
}

const UNITS: Record<string, (v: number) => string> = {
  s: (v) => (v < 1 ? `${(v * 1000).toFixed(0)} ms` : `${v.toFixed(2)} s`),
  reqps: (v) => `${v.toFixed(1)}/s`,
  percentunit: (v) => `${(v * 100).toFixed(0)}%`,
  bytes: (v) => `${(v / 1048576).toFixed(0)} MiB`,
  short: (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`),
};
const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const legendOf = (format: string | undefined, metric: Record<string, string>) =>
  (format ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => metric[k] ?? '') || JSON.stringify(metric);
const COLORS = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a9',
  '#705da0',
  '#508642',
  '#cca300',
];

type Series = { label: string; points: [number, number][] };

async function query(prometheus: string, expr: string, start: number, end: number): Promise<Series[]> {
  const params = new URLSearchParams({
    query: expr.replaceAll('$__rate_interval', '30s'),
    start: String(start / 1000),
    end: String(end / 1000),
    step: '4',
  });
  const res = await fetch(`${prometheus}/api/v1/query_range?${params}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  return body.data.result.map((r) => ({
    label: JSON.stringify(r.metric),
    metric: r.metric,
    points: r.values.map(([t, v]) => [t * 1000, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v)),
  })) as (Series & { metric: Record<string, string> })[];
}

function chart(series: Series[], unit: string, width: number, height: number, start: number, end: number): string {
  const all = series.flatMap((s) => s.points.map(([, v]) => v));
  if (all.length === 0) return `<div class="empty">no data</div>`;
  const max = Math.max(...all, 0) || 1;
  const min = Math.min(...all, 0);
  const fmt = UNITS[unit] ?? UNITS.short!;
  const x = (t: number) => 40 + ((t - start) / (end - start)) * (width - 50);
  const y = (v: number) => 8 + (1 - (v - min) / (max - min || 1)) * (height - 24);
  const lines = series
    .slice(0, 10)
    .map(
      (s, i) =>
        `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${s.points
          .map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`)
          .join(' ')}"/>`,
    )
    .join('');
  const grid = [0, 0.5, 1]
    .map((f) => {
      const v = min + (max - min) * f;
      return `<line x1="40" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="36" y="${y(v) + 4}" text-anchor="end">${escapeHtml(fmt(v))}</text>`;
    })
    .join('');
  return `<svg width="${width}" height="${height}">${grid}${lines}</svg>`;
}

async function render(prometheus: string, start: number, end: number, out: string) {
  const cell = 62;
  const rowH = 30;
  const html: string[] = [];
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    const style = `left:${x * cell}px;top:${y * rowH}px;width:${w * cell - 8}px;height:${h * rowH - 8}px`;
    if (panel.type === 'row') {
      html.push(`<div class="row" style="${style}">${escapeHtml(panel.title)}</div>`);
      continue;
    }
    const unit = panel.fieldConfig?.defaults?.unit ?? 'short';
    const results = await Promise.all(
      (panel.targets ?? []).map(async (t) =>
        (await query(prometheus, t.expr, start, end)).map((s) => ({
          ...s,
          label: legendOf(t.legendFormat, (s as Series & { metric: Record<string, string> }).metric),
        })),
      ),
    );
    const series = results.flat();
    const width = w * cell - 8;
    const height = h * rowH - 8;
    if (panel.type === 'stat') {
      const last = series.map((s) => s.points.at(-1)?.[1]).find((v) => v !== undefined);
      const fmt = UNITS[unit] ?? UNITS.short!;
      html.push(
        `<div class="panel stat" style="${style}"><h3>${escapeHtml(panel.title)}</h3><b>${last === undefined ? '—' : escapeHtml(fmt(last))}</b></div>`,
      );
      continue;
    }
    const legend = series
      .slice(0, 6)
      .map((s, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${escapeHtml(s.label)}</span>`)
      .join('');
    html.push(
      `<div class="panel" style="${style}"><h3>${escapeHtml(panel.title)}</h3>${chart(series, unit, width - 12, height - 64, start, end)}<div class="legend">${legend}</div></div>`,
    );
  }
  const bottom = Math.max(...dashboard.panels.map((p) => (p.gridPos.y + p.gridPos.h) * rowH));
  const page = `<!doctype html><html><head><meta charset="utf-8"><style>
    body{margin:0;background:#111217;color:#ccccdc;font:12px system-ui,sans-serif}
    .board{position:relative;width:${24 * cell}px;height:${bottom}px;margin:12px}
    .panel,.row{position:absolute;box-sizing:border-box}
    .panel{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:6px;overflow:hidden}
    .row{font-size:15px;font-weight:600;padding-top:6px;color:#d8d9da}
    h3{margin:0 0 4px;font-size:12px;font-weight:500;color:#d8d9da}
    .stat b{display:block;font-size:26px;color:#73bf69;margin-top:6px}
    svg text{fill:#8e8e8e;font-size:10px}
    .legend{display:flex;flex-wrap:wrap;gap:2px 10px;font-size:10px;max-height:28px;overflow:hidden}
    .legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
    .empty{color:#666;padding:30px;text-align:center}
    header{margin:12px 12px 0;font-size:16px;color:#d8d9da}
  </style></head><body><header>Sagaway — ops/grafana/dashboards/sagaway.json on a real Prometheus (preview, not Grafana)</header><div class="board">${html.join('')}</div></body></html>`;
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage({ viewport: { width: 24 * cell + 24, height: 900 } });
    await tab.setContent(page);
    await tab.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
}

if (process.env.KAFKA_BROKERS === undefined) await startKafka();
const system = await startSystem('dashboard', {
  // A few refunds refused for good: STUCK sagas for the panels that show them.
  serviceEnv: { payment: { FAULTS: 'payment.refund.fail:15' } },
  env: { SAGA_DEADLINE_MS: '8000', RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE: '100000' },
});
let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
try {
  prometheus = await startPrometheus(system);
  const customers = await Promise.all(Array.from({ length: 20 }, (_, i) => system.client(`customer-${i}`)));
  const admin = await system.client('ops', { admin: true });
  // Enough stock that orders fail for the reasons the load chooses, not because the shelf is empty.
  for (const product of [BOOK, NOTEBOOK]) await admin.restockProduct(product, 100_000);
  const watcher = customers[0]!;
  const start = Date.now();
  const until = start + Number(values.minutes) * 60_000;
  const live = (async () => {
    while (Date.now() < until) {
      const order = await placeWithRetry(watcher, {
        items: [{ productId: BOOK, quantity: 1 }],
        paymentToken: 'tok_visa',
      });
      for await (const event of watcher.orderStatusOnly(order.id)) if (event.status === 'COMPLETED') break;
    }
  })();
  await Promise.all([load(customers, admin, until, 8), live]);
  await sleep(6000);
  await render(prometheus.url, start, Date.now(), path.resolve(root, values.out!));
  process.stdout.write(`wrote ${values.out}\n`);
  await Promise.all(customers.map((c) => c.dispose()));
} finally {
  prometheus?.stop();
  await system.stop();
}
