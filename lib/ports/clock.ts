/**
 * The time, as the domain sees it. Injected so that expiries, timestamps and timeouts are
 * testable without fake timers.
 */
export interface Clock {
  now(): Date;
}

/** The real clock (adapters and entry points use it; tests use {@link fixedClock}). */
export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at `at` (ISO string or Date). */
export function fixedClock(at: string | Date): Clock {
  const time = new Date(at).getTime();
  return { now: () => new Date(time) };
}
