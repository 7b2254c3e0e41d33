import { z } from 'zod';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)');

/**
 * Where the store lives. With `url` it talks HTTP to a ClickHouse server (distributed mode);
 * without it, it runs chDB in-process with its data under `<dataDir>/chdb` (embedded mode).
 */
export const storeConfigSchema = z.object({
  url: z.url().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  database: identifier.default('homeostat'),
  dataDir: z.string().min(1).default('./.homeostat'),
  /** chDB's directory; default <dataDir>/chdb. */
  chdbDir: z.string().min(1).optional(),
  requestTimeoutMs: z.number().int().positive().optional(),
});

export type StoreConfig = z.output<typeof storeConfigSchema>;
export type StoreConfigInput = z.input<typeof storeConfigSchema>;
