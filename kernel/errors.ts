import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The error codes of the public contract (`extensions.code`). */
export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  RateLimited = 'RATE_LIMITED',
  /** The system is busy or a part of it is down: retriable, with `retryAfterMs`. */
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  Internal = 'INTERNAL_SERVER_ERROR',
}

/** An error the caller can act on. Anything else thrown is a bug and is masked. */
export class DomainError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, ErrorCode.Internal>,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BadUserInput, message, details);
export const notFound = (message: string) => new DomainError(ErrorCode.NotFound, message);
export const forbidden = (message = 'You may not access this resource') =>
  new DomainError(ErrorCode.Forbidden, message);
export const unauthenticated = (message = 'A valid bearer token is required') =>
  new DomainError(ErrorCode.Unauthenticated, message);
/** A refusal for now: the same request may succeed after `retryAfterMs`. */
export const serviceUnavailable = (message: string, retryAfterMs: number) =>
  new DomainError(ErrorCode.ServiceUnavailable, message, { retryAfterMs: Math.max(1, Math.round(retryAfterMs)) });

/** Too much from this caller for now: the same request may succeed after `retryAfterMs`. */
export const rateLimited = (message: string, retryAfterMs: number, details: Record<string, unknown> = {}) =>
  new DomainError(ErrorCode.RateLimited, message, { ...details, retryAfterMs: Math.max(1, Math.round(retryAfterMs)) });

/** The HTTP status of a request refused as a whole, by the code it was refused with. */
export const refusalStatus: Partial<Record<string, number>> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.ServiceUnavailable]: 503,
};

/** `Retry-After` (whole seconds, at least one) for a retry delay in milliseconds. */
export const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

const httpStatus: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.RateLimited]: 429,
};

/** The single place where domain errors become GraphQL errors. */
export function toGraphQLError(err: DomainError): GraphQLError {
  const status = httpStatus[err.code];
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...err.details, ...(status ? { http: { status } } : {}) },
  });
}

/** For code paths Apollo does not format (context creation): domain errors become coded GraphQL errors. */
export const rethrowAsGraphQL = (err: unknown): never => {
  throw err instanceof DomainError ? toGraphQLError(err) : err;
};

const infrastructureCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * The database (or network) is unavailable: the request or message is fine and must wait.
 * PostgreSQL classes 08 (connection), 53 (resources) and 57P (shutdown) say so too.
 */
export const isInfrastructureOutage = (err: unknown): boolean =>
  hasErrorCode(err, (code) => infrastructureCodes.has(code) || /^(08|53|57P)/.test(code));

/** Whether the error, or any error in its `cause` chain, carries a `code` that `matches`. */
export function hasErrorCode(err: unknown, matches: (code: string) => boolean): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && matches(code)) return true;
  }
  return false;
}

const knownCodes = new Set<string>(Object.values(ErrorCode));

/**
 * Apollo Server's own codes for a request the client got wrong (a persisted query it must send in
 * full, a request that is not GraphQL over HTTP, an operation that cannot be picked): the client
 * must see them as they are, or it cannot react (Apollo Client re-sends a query in full only on
 * PERSISTED_QUERY_NOT_FOUND).
 */
const clientCodes = new Set<string>(
  Object.values(ApolloServerErrorCode).filter((c) => c !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR),
);
export const isClientErrorCode = (code: unknown): boolean =>
  typeof code === 'string' && (clientCodes.has(code) || code.startsWith('GRAPHQL_'));

/**
 * `formatError` for every Apollo server here: domain errors keep their code; errors that already
 * carry a contract code or one of Apollo's client codes pass; everything else is masked. With
 * `hideInternals` (production), which service answered is not told.
 */
export const errorFormatter =
  ({ hideInternals }: { hideInternals: boolean }) =>
  (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const shown = formatError(formatted, error);
    if (!hideInternals || !shown.extensions || !('serviceName' in shown.extensions)) return shown;
    const { serviceName: _hidden, ...extensions } = shown.extensions;
    return { ...shown, extensions };
  };

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const thrown = error instanceof GraphQLError ? error.originalError : error;
  // The database is down or restarting: the caller may retry (a mutation with its idempotency key).
  const original = isInfrastructureOutage(thrown)
    ? serviceUnavailable('The service is unavailable for a moment; retry shortly', 1000)
    : thrown;
  if (original instanceof DomainError) {
    const { extensions } = toGraphQLError(original);
    return { ...formatted, message: original.message, extensions: { ...extensions, http: undefined } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && (knownCodes.has(code) || isClientErrorCode(code))) {
    if (code === ErrorCode.Internal && !(original === undefined || original instanceof GraphQLError)) {
      return {
        message: 'Internal server error',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code },
      };
    }
    const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.Internal },
  };
}

/**
 * An Apollo plugin that logs every error the client will see masked (no contract code): the
 * response says "Internal server error", the log says why.
 */
export function logUnexpectedErrors(logger: {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const original = error.originalError;
            if (original instanceof DomainError) continue;
            const code = error.extensions?.code;
            if (typeof code === 'string' && code !== ErrorCode.Internal && knownCodes.has(code)) continue;
            // The client's mistake, not ours: worth a line, not a stack.
            if (isClientErrorCode(code)) {
              logger.info({ code, message: error.message, operationName }, 'request refused');
              continue;
            }
            logger.error(
              { err: original ?? error, path: error.path, operationName, code },
              'request failed with an unexpected error',
            );
          }
        },
      };
    },
  };
}
