import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * `schema.safeParse(data)` with zod's English issue messages. Stageline's schemas use `zod/mini`
 * (a fraction of classic zod's size in a Lambda bundle), which registers no locale: without one
 * every built-in issue reads "Invalid input". Classic zod registers English on first use; so does
 * this, at parse time rather than at import so that no bundler can shake it away (a locale set
 * elsewhere with `z.config` wins).
 */
export function safeParse<S extends z.ZodMiniType>(schema: S, data: unknown): z.core.util.SafeParseResult<z.output<S>> {
  if (!z.config().localeError) z.config(en());
  return schema.safeParse(data) as z.core.util.SafeParseResult<z.output<S>>;
}
