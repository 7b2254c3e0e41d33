import { z } from 'zod';

/**
 * A URL that may name environment variables, `${SHOP_URL}` or `${SHOP_URL:-http://127.0.0.1:3000}`,
 * so one spec serves every environment; the executor substitutes them. Checked with the
 * defaults filled in (a variable without a default stands for a host).
 */
export const urlTemplate = z.string().refine(
  (s) => {
    const filled = s.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::-([^}]*))?\}/g, (_m, dflt: string | undefined) => dflt ?? 'http://env-host');
    return URL.canParse(filled) && /^https?:/.test(filled);
  },
  { message: 'must be an http(s) URL, optionally with ${VAR} or ${VAR:-default} placeholders' },
);
