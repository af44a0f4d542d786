import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Only the gateway may call a subgraph: it signs every request with a secret the subgraphs share
 * with it and nobody else (GATEWAY_SECRET), and a subgraph refuses a request without a fresh,
 * valid signature — whatever user token it carries. The signature covers the time, the body and
 * the forwarded bearer token, so none of them can be changed, and a signature is accepted once (a
 * random nonce tells apart two identical requests sent in the same millisecond).
 *
 * `x-gateway-signature: t=<unix ms>,n=<nonce>,v1=<base64url HMAC-SHA256>`
 *
 * This file signs, on node:crypto alone (a process that only signs — the benchmark's vanilla
 * gateway — loads nothing else of the kernel); gateway-identity.ts verifies.
 */
export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
/** What a signature covers: the time, the nonce, and digests of the body and the bearer token. */
export const signedMaterial = (t: string, nonce: string, body: string, authorization: string) =>
  `${t}\n${nonce}\n${digest(body)}\n${digest(authorization)}`;

/** Signs one request's body and bearer token as the gateway. */
export function signGatewayRequest(secret: string, body: string, authorization: string, now = Date.now()): string {
  const t = String(now);
  const nonce = randomBytes(12).toString('base64url');
  return `t=${t},n=${nonce},v1=${createHmac('sha256', secret)
    .update(signedMaterial(t, nonce, body, authorization))
    .digest('base64url')}`;
}
