// Public surface of kernel/ — other folders import only this file (tests also testing.ts).
// The kernel: configuration, logging, errors, tokens and identities, HTTP serving, limits, money,
// sealing — what every process needs. It imports nothing of the project.
export * from './api-key.ts';
export * from './audit.ts';
export * from './auth.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './faults.ts';
export * from './gateway-identity.ts';
export * from './gateway-signature.ts';
export * from './health.ts';
export * from './http.ts';
export * from './interval.ts';
export * from './lifecycle.ts';
export * from './limits.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './money.ts';
export * from './net.ts';
export * from './pagination.ts';
export * from './scalars.ts';
export * from './sealing.ts';
export * from './secrets.ts';
