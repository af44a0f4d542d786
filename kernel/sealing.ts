import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals a secret (a payment token) so that it can travel through the saga's row, the outbox and
 * Kafka without being readable there: AES-256-GCM, bound to the order it belongs to (as associated
 * data), so a sealed token cannot be replayed onto another order. Only the services holding the key
 * — the order service that seals and the payment service that opens — can read it.
 *
 * `sealed.v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url. Keys rotate: the first key seals, every
 * key opens what it sealed (the key id says which).
 */
export interface Sealer {
  seal(plain: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
  /** A keyed digest: equal inputs, equal digests, and nothing to learn from it without the key. */
  digest(text: string): string;
}

const PREFIX = 'sealed.v1.';

/** Thrown when a sealed value cannot be opened: a wrong key, another order, or tampering. */
export class SealError extends Error {
  readonly retriable = false;
  override name = 'SealError';
}

export const isSealed = (value: string): boolean => value.startsWith(PREFIX);

export function createSealer(secrets: string[]): Sealer {
  if (secrets.length === 0) throw new Error('a sealer needs at least one key');
  const keys = secrets.map((secret) => {
    const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'sagaway payment token', 32));
    return { key, id: createHash('sha256').update(key).digest('base64url').slice(0, 8) };
  });
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  const current = keys[0]!;
  return {
    seal(plain, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(boundTo, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${current.id}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
    },
    open(sealed, boundTo) {
      if (!isSealed(sealed)) throw new SealError('the value is not sealed');
      const [id, iv, ciphertext, tag] = sealed.slice(PREFIX.length).split('.');
      const key = id === undefined ? undefined : byId.get(id);
      if (!key || !iv || ciphertext === undefined || !tag)
        throw new SealError(key ? 'the sealed value is malformed' : `no key ${id} to open the sealed value`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(boundTo, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SealError('the sealed value does not open with this key for this order');
      }
    },
    digest: (text) => createHmac('sha256', current.key).update(text).digest('base64url'),
  };
}
