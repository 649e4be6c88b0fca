import { z } from 'zod';

/** The one JSON document the in-container runner prints (sandbox/runner.py). */
export const RunnerOutput = z.object({
  runner: z.literal('ok'),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number(),
  timed_out: z.boolean(),
  junit_xml: z.string().nullable(),
  output: z.string(),
  output_truncated: z.boolean(),
});
export type RunnerOutput = z.infer<typeof RunnerOutput>;
