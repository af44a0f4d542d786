import { describe, expect, it } from 'vitest';
import { createSealer, isSealed, SealError } from './sealing.ts';

const KEY = 'sealing-test-key-0123456789abcdef0123';
const ORDER = '0b9c5a8e-1f00-4000-8000-000000000001';

describe('sealed payment tokens', () => {
  it('opens what it sealed, for the order it was sealed for, and nothing of the token shows', () => {
    const sealer = createSealer([KEY]);
    const sealed = sealer.seal('tok_visa', ORDER);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('tok_visa');
    expect(sealer.seal('tok_visa', ORDER)).not.toBe(sealed); // a fresh IV every time
    expect(sealer.open(sealed, ORDER)).toBe('tok_visa');
  });

  it('refuses to open a token for another order, a tampered one, or one sealed with an unknown key', () => {
    const sealer = createSealer([KEY]);
    const sealed = sealer.seal('tok_visa', ORDER);
    expect(() => sealer.open(sealed, '0b9c5a8e-1f00-4000-8000-000000000002')).toThrow(SealError);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tok_mastercard').toString('base64url');
    expect(() => sealer.open(parts.join('.'), ORDER)).toThrow(SealError);
    expect(() => createSealer(['another-key-0123456789abcdef0123456']).open(sealed, ORDER)).toThrow(/no key/);
    expect(() => sealer.open('tok_visa', ORDER)).toThrow(SealError);
  });

  it('rotates keys: the new key seals, the previous one still opens what it sealed', () => {
    const before = createSealer([KEY]).seal('tok_visa', ORDER);
    const rotated = createSealer(['rotated-key-0123456789abcdef01234567', KEY]);
    expect(rotated.open(before, ORDER)).toBe('tok_visa');
    expect(createSealer([KEY]).open.bind(null, rotated.seal('tok_visa', ORDER), ORDER)).toThrow(/no key/);
  });

  it('digests with the key: equal for equal input, different under another key', () => {
    const a = createSealer([KEY]);
    expect(a.digest('x')).toBe(a.digest('x'));
    expect(a.digest('x')).not.toBe(createSealer(['rotated-key-0123456789abcdef01234567']).digest('x'));
  });
});
