/**
 * Durations in configuration: one or more `<integer><unit>` parts, units `d`, `h`, `m`, `s`
 * (`72h`, `30m`, `1d`, `1h30m`). No fractions, no spaces, no bare numbers (a bare `72` would be
 * ambiguous).
 */
const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };
export const DURATION_PATTERN = /^(?:\d+[dhms])+$/;

/** Seconds in `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([dhms])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  }
  return seconds;
}
