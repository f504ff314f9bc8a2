import * as z from 'zod/mini';
import { parseDuration } from '../duration.js';

/** A DNS-1123 label: environment, organization and service names end up in S3 keys, secret names and URLs. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const dnsLabel = (what: string) =>
  z.string({ error: `expected ${what} (a string)` }).check(
    z.regex(DNS_LABEL, {
      error: `expected ${what}: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
    }),
  );

export const duration = z
  .string({ error: 'expected a duration like 72h, 30m or 1d' })
  .check(z.refine((text) => (parseDuration(text) ?? 0) > 0, { error: 'expected a duration like 72h, 30m, 1d or 1h30m (longer than zero)' }));

export const email = z.email({ error: 'expected an email address' });

export const API_VERSION = 'stageline.dev/v1';
