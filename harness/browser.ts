import type { Browser } from 'playwright-core';
import { infraEnv } from './infrastructure.ts';

/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) for the browser tests; when it
 * does not start, the error says how to install it.
 */
export async function launchChromium(): Promise<Browser> {
  // Loaded here, not with the harness: most of its users never start a browser.
  const { chromium } = await import('playwright-core');
  try {
    return await chromium.launch({
      executablePath: infraEnv.chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  } catch (err) {
    throw new Error(
      `Chromium did not start from ${infraEnv.chromiumPath} (install it with \`apt-get install chromium\`, as .ci/run does): ${(err as Error).message}`,
    );
  }
}
