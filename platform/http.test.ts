import { describe, expect, it } from 'vitest';
import { createTokenVerifier, devPolicy, signDevToken } from './auth.ts';
import { mayOperate } from './http.ts';

const policy = devPolicy('http-test-secret-0123456789');
const verifier = createTokenVerifier(policy);

describe('who may read /stats', () => {
  it('the machine itself, over loopback, without a token', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(await mayOperate(address, undefined, verifier)).toBe(true);
  });

  it('from elsewhere, an admin token only', async () => {
    expect(await mayOperate('10.0.0.7', undefined, verifier)).toBe(false);
    expect(await mayOperate('10.0.0.7', `Bearer ${await signDevToken(policy, 'alice')}`, verifier)).toBe(false);
    expect(await mayOperate('10.0.0.7', `Bearer ${await signDevToken(policy, 'root', { admin: true })}`, verifier)).toBe(true);
    expect(await mayOperate('10.0.0.7', `Bearer ${await signDevToken(policy, 'root', { admin: true })}`, undefined)).toBe(false);
  });
});
