import { afterEach, describe, expect, it } from 'vitest';
import { missingPrerequisites } from './prerequisites.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('the prerequisites npm test checks first', () => {
  it('names what is missing with the command that fixes it', async () => {
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    process.env.CHROMIUM_PATH = '/nowhere/chromium';
    const missing = await missingPrerequisites({ needKafkaBuild: false });
    expect(missing).toEqual(
      expect.arrayContaining([
        { what: 'Redis at 127.0.0.1:1', fix: expect.stringContaining('apt-get install -y redis-server') },
        {
          what: 'Chromium at /nowhere/chromium (the browser tests)',
          fix: expect.stringContaining('apt-get install -y chromium'),
        },
      ]),
    );
  });
});
