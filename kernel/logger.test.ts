import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

/** A logger whose lines this test reads back. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('info', 'test', stream), text: () => lines.join('') };
}

describe('the logger', () => {
  it('logs why a query failed, never the values bound to it', () => {
    const { logger, text } = capture();
    // As drizzle reports a failed query, wrapping the driver's error and its parameters.
    const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      severity: 'ERROR',
      parameters: ['tok_secret_4242'],
      query: 'insert …',
      detail: 'Key (token)=(tok_secret_4242)',
    });
    const failed = Object.assign(
      new Error('Failed query: insert into "payments" ("token") values ($1)\nparams: tok_secret_4242'),
      { name: 'DrizzleQueryError', params: ['tok_secret_4242'], cause: driver },
    );
    logger.error({ err: failed }, 'request failed');
    const out = text();
    expect(out).not.toContain('tok_secret_4242');
    expect(out).toContain('22021');
    expect(out).toContain('Failed query: insert into');
    expect(out).toContain('invalid byte sequence');
  });

  it('redacts payment tokens, request variables and bearer tokens wherever they are logged', () => {
    const { logger, text } = capture();
    logger.info(
      {
        paymentToken: 'tok_a',
        request: { variables: { input: { paymentToken: 'tok_b' } }, headers: { authorization: 'Bearer eyJ.secret' } },
        payload: { paymentToken: 'tok_c' },
      },
      'seen',
    );
    const out = text();
    for (const secret of ['tok_a', 'tok_b', 'tok_c', 'eyJ.secret']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });
});
