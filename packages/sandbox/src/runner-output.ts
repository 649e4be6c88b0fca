import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The result document the in-container runner prints (sandbox/runner.py), under its MAC. */
export const RunnerOutput = z.object({
  runner: z.literal('ok'),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number(),
  timed_out: z.boolean(),
  junit_xml: z.string().nullable(),
  report_rejected: z.boolean(),
  /** Bytes the sample and pytest printed (only the first `output_bytes` of them travel, on stderr). */
  output_bytes: z.number().int().nonnegative(),
  output_truncated: z.boolean(),
});
export type RunnerOutput = z.infer<typeof RunnerOutput>;

/**
 * The runner's report bound: its JUnit report, cut to what the facts need, is at most this many bytes
 * (else it is dropped and the sample fails). The result line travels on stdout on its own, so neither
 * the sample's output nor the report can push it past the worker's cap ({@link RESULT_LINE_BYTES}).
 */
export const REPORT_BYTES = 4 * 1024 * 1024;
/** The worker's cap on the container's stdout: the report bound plus the document around it. */
export const RESULT_LINE_BYTES = REPORT_BYTES + 64 * 1024;
/** Largest plain value (arguments, a result) that crosses between the tests and the sample's process. */
export const VALUE_BYTES = 8 * 1024 * 1024;

/** A fresh key per container: the first line of the runner's stdin (64 hex digits). */
export function resultKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The runner's document from the container's stdout: the line `<hex HMAC-SHA256> <JSON>` whose MAC
 * `key` verifies. Any other line — a fake result written by the sample, a forged MAC — is ignored;
 * none verifying → null (no facts document: the sample's tests count as failed).
 */
export function verifiedRunnerOutput(stdout: string, key: string): RunnerOutput | null {
  const secret = Buffer.from(key, 'hex');
  for (const line of stdout.split('\n').reverse()) {
    const m = /^([0-9a-f]{64}) (\{.*\})$/.exec(line);
    if (!m) continue;
    const body = m[2] as string;
    const expected = createHmac('sha256', secret).update(body, 'utf8').digest();
    if (!timingSafeEqual(expected, Buffer.from(m[1] as string, 'hex'))) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
    const doc = RunnerOutput.safeParse(parsed);
    return doc.success ? doc.data : null;
  }
  return null;
}

/** The runner's stdin: the key line, then the workspace tar. */
export function runnerStdin(key: string, tar: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${key}\n`, 'ascii'), tar]);
}
