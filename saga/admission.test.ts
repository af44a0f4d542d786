import { describe, expect, it } from 'vitest';
import { createAdmission, decideAdmission } from './admission.ts';

const limits = { waitMs: 10_000, minInFlight: 100, maxInFlight: 2000 };

describe('admission of new sagas', () => {
  it('admits anything up to the minimum, even when nothing has finished yet', () => {
    expect(decideAdmission({ inFlight: 99, finishedPerSecond: 0 }, limits)).toEqual({ admit: true });
    expect(decideAdmission({ inFlight: 100, finishedPerSecond: 0 }, limits)).toMatchObject({
      admit: false,
      limit: 100,
    });
  });

  it('admits as many as can drain within the wait budget at the rate sagas finish', () => {
    // 50/s for 10 s: 500 may be in flight.
    expect(decideAdmission({ inFlight: 499, finishedPerSecond: 50 }, limits)).toEqual({ admit: true });
    expect(decideAdmission({ inFlight: 500, finishedPerSecond: 50 }, limits)).toMatchObject({
      admit: false,
      limit: 500,
    });
  });

  it('never admits beyond the maximum, however fast sagas finish', () => {
    expect(decideAdmission({ inFlight: 2000, finishedPerSecond: 10_000 }, limits)).toMatchObject({
      admit: false,
      limit: 2000,
    });
  });

  it('advises a retry after the time the excess needs to drain, within bounds', () => {
    expect(decideAdmission({ inFlight: 599, finishedPerSecond: 50 }, limits)).toMatchObject({ retryAfterMs: 2000 });
    expect(decideAdmission({ inFlight: 500, finishedPerSecond: 50 }, limits)).toMatchObject({ retryAfterMs: 250 });
    expect(decideAdmission({ inFlight: 100_000, finishedPerSecond: 1 }, { ...limits, maxInFlight: 100 })).toMatchObject(
      { retryAfterMs: 10_000 },
    );
  });

  it('learns the finishing rate from successive samples of the shared backlog', () => {
    const admission = createAdmission(limits, { smoothingMs: 1000 });
    admission.observe({ inFlight: 300, startedSince: 0 }, 0);
    // In one second 200 started and the backlog stayed at 300: 200 finished.
    admission.observe({ inFlight: 300, startedSince: 200 }, 1000);
    expect(admission.stats().finishedPerSecond).toBe(200);
    expect(admission.check()).toEqual({ admit: true }); // limit 2000
  });

  it('counts the sagas it admitted since the last sample', () => {
    const admission = createAdmission({ ...limits, minInFlight: 3, maxInFlight: 3 });
    admission.observe({ inFlight: 1, startedSince: 0 }, 0);
    admission.admitted();
    expect(admission.check()).toEqual({ admit: true });
    admission.admitted();
    expect(admission.check()).toMatchObject({ admit: false });
    expect(admission.stats().refused).toBe(1);
    // A new sample replaces the local count with what the store holds.
    admission.observe({ inFlight: 0, startedSince: 2 }, 250);
    expect(admission.check()).toEqual({ admit: true });
  });
});
