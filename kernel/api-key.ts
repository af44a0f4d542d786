import { createHash, randomBytes } from 'node:crypto';

/**
 * The form of an API key, shared by the service that issues keys and the gateway that checks
 * them: `sgw_` and 43 characters of 256 random bits. Only its SHA-256 digest is ever stored or
 * sent between services (a key this long cannot be guessed from its digest, so a slow password
 * hash would add nothing but latency).
 */
const KEY = /^sgw_[A-Za-z0-9_-]{43}$/;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

export const newApiKey = (): string => `sgw_${randomBytes(32).toString('base64url')}`;
export const isApiKey = (text: string): boolean => KEY.test(text);
export const isApiKeyDigest = (text: string): boolean => DIGEST.test(text);
export const digestApiKey = (key: string): string => createHash('sha256').update(key).digest('base64url');
