import { describe, expect, it } from 'vitest';
import { createHs256Verifier, signDevToken } from './auth.ts';
import { DomainError } from './errors.ts';

const SECRET = 'auth-test-secret-0123456789';

describe('the token verifier', () => {
  it('answers the same identity for a token it verified before', async () => {
    const verifier = createHs256Verifier(SECRET);
    const token = await signDevToken(SECRET, 'alice', { admin: true });
    const first = await verifier.verify(`Bearer ${token}`);
    expect(first).toEqual({ customerId: 'alice', roles: ['admin'], isAdmin: true });
    expect(await verifier.verify(`Bearer ${token}`)).toBe(first);
  });

  it('refuses a remembered token once it has expired', async () => {
    const verifier = createHs256Verifier(SECRET);
    const token = await signDevToken(SECRET, 'bob', { expiresIn: '1s' });
    expect((await verifier.verify(`Bearer ${token}`)).customerId).toBe('bob');
    await expect
      .poll(() => verifier.verify(`Bearer ${token}`).then(() => 'accepted', (err: unknown) => (err instanceof DomainError ? err.message : String(err))), { timeout: 5000, interval: 100 })
      .toBe('The token has expired');
  });

  it('never remembers a token signed with another secret', async () => {
    const verifier = createHs256Verifier(SECRET);
    const forged = await signDevToken('another-secret-0123456789', 'mallory');
    for (let i = 0; i < 2; i++) await expect(verifier.verify(`Bearer ${forged}`)).rejects.toThrow('The token is invalid');
  });
});
