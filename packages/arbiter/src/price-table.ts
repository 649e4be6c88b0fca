import { z } from 'zod';

/** Prices of one model in USD per million tokens, with the API's multipliers. */
export const ModelPrice = z.object({
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
  /** @default 1.25 (5-minute cache write) */
  cache_write_5m: z.number().nonnegative().default(1.25),
  /** @default 2 (1-hour cache write) */
  cache_write_1h: z.number().nonnegative().default(2),
  /** @default 0.1 */
  cache_read: z.number().nonnegative().default(0.1),
  /** Batch requests pay this share of the on-demand price. @default 0.5 */
  batch: z.number().nonnegative().default(0.5),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

export const PriceTable = z.record(z.string(), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

/** List prices at the time of writing; override with `GAVEL_PRICES_FILE`. */
export const DEFAULT_PRICES: PriceTable = PriceTable.parse({
  'claude-opus-4-6': { input_per_mtok: 5, output_per_mtok: 25 },
  'claude-opus-4-5': { input_per_mtok: 5, output_per_mtok: 25 },
  'claude-sonnet-4-5': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-sonnet-4-6': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-haiku-4-5': { input_per_mtok: 1, output_per_mtok: 5 },
});
