import { execFileSync } from 'node:child_process';

/** Generates each service's SQL migrations from its drizzle schema (commit the result). */
for (const service of ['order', 'inventory', 'payment']) {
  execFileSync('npx', ['drizzle-kit', 'generate', '--config', `db/drizzle/${service}.config.ts`, ...process.argv.slice(2)], { stdio: 'inherit' });
}
