import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serveGatewayAlone } from './testing.ts';

/**
 * @apollo/gateway sends Apollo an hourly usage report of the host (OS, CPU, memory, uptime) over
 * OTLP unless told not to. sagaway's gateway sends it only when the operator asks for it.
 * The library's own module is watched: whether the gateway built the report's exporter.
 */
const telemetry = createRequire(import.meta.url)('@apollo/gateway/dist/utilities/opentelemetry.js') as {
  createDataCollectionExporter: () => { shutdown(): Promise<void> };
};

async function startGateway(env: Record<string, string>) {
  await (await serveGatewayAlone(env)).close();
}

describe("@apollo/gateway's usage report to Apollo", () => {
  afterEach(() => vi.restoreAllMocks());

  it('is not sent unless asked for, and the environment is left as it was', async () => {
    const exporter = vi.spyOn(telemetry, 'createDataCollectionExporter');
    const before = process.env.APOLLO_TELEMETRY_DISABLED;
    await startGateway({});
    expect(exporter).not.toHaveBeenCalled();
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe(before);
  });

  it('is sent when the operator turns it on', async () => {
    const exporter = vi.spyOn(telemetry, 'createDataCollectionExporter').mockReturnValue({ shutdown: async () => {} });
    await startGateway({ GATEWAY_APOLLO_TELEMETRY: 'true' });
    expect(exporter).toHaveBeenCalledTimes(1);
  });
});
