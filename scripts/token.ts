import { parseArgs } from 'node:util';
import { signDevToken } from '../kernel/index.ts';
import { configOrExit } from '../runtime/index.ts';

/** `npm run token -- <customerId> [--admin] [--expires 24h]` prints a development token signed with JWT_SECRET. */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { admin: { type: 'boolean', default: false }, expires: { type: 'string', default: '24h' } },
});
const customerId = positionals[0];
if (!customerId) {
  process.stderr.write('usage: npm run token -- <customerId> [--admin] [--expires 24h]\n');
  process.exit(2);
}
process.stdout.write(
  `${await signDevToken(configOrExit().auth, customerId, { admin: values.admin, expiresIn: values.expires })}\n`,
);
