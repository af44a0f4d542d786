import { execFileSync } from 'node:child_process';
import { services } from '../system/registry.ts';

/** Generates each service's SQL migrations from its drizzle schema (commit the result). */
for (const { name } of services) {
  execFileSync('npx', ['drizzle-kit', 'generate', '--config', 'system/drizzle.config.ts', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SAGAWAY_SERVICE: name },
  });
}
