import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from '../kernel/index.ts';
import { API_KEY_HEADER } from './api-keys.ts';

/**
 * Browser apps on the listed origins may call the gateway: preflights are answered here, and
 * responses carry the headers that let such an app read them (Retry-After included). Other origins
 * get no CORS headers, so their browsers refuse to hand them the answer.
 */
export function withCors(handler: RequestHandler, origins: string[]): RequestHandler {
  if (origins.length === 0) return handler;
  const middleware = cors({
    origin: origins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', API_KEY_HEADER, 'x-correlation-id', 'apollo-require-preflight'],
    exposedHeaders: ['retry-after', 'x-correlation-id'],
    maxAge: 600,
  });
  return (req, res) =>
    new Promise<void>((resolve, reject) => {
      // A preflight is answered (204) without reaching `next`.
      res.once('finish', () => resolve());
      middleware(req, res, (err?: unknown) => (err ? reject(err) : handler(req, res).then(resolve, reject)));
    });
}

/**
 * Whether a socket upgrade may proceed: clients that send no Origin (servers, scripts) and pages of
 * the gateway itself (the playground) may, and the listed origins. A browser page of any other
 * origin may not — its user's credentials must not open a subscription for a stranger's site.
 */
export function socketOriginAllowed(request: IncomingMessage, origins: string[]): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  const host = request.headers.host;
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return origins.includes(origin);
}
