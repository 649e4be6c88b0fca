import type { Facts, RunManifest, Sample, Verdict } from '@gavel/core';
import type { LoadedRubric } from '@gavel/rubric';
import type { TraceContext } from '@gavel/telemetry';

export interface GradeInput {
  sample: Sample;
  facts: Facts;
  rubric: LoadedRubric;
  manifest: RunManifest;
  /** The bytes of the images the sample shows, by sha256 (loaded from the image store by the judge stage). */
  images?: ReadonlyMap<string, Buffer>;
  /** The judge job's trace context: each request to the judge server is a span under it. */
  trace?: TraceContext;
}

/** Turns a sample and its facts into a verdict (facts-only, a local LLM, …). */
export interface Grader {
  /** Recorded in verdicts and the manifest, e.g. `facts` or `vllm:qwen3-32b-fp4`. */
  readonly name: string;
  grade(input: GradeInput, signal: AbortSignal): Promise<Verdict>;
  close(): Promise<void>;
}

/**
 * A grader built on first use rather than at start-up: behind the GPU gate the judge server only
 * runs once judge work waits, so its start-up check (context window) happens when the first job
 * is let through. Concurrent first jobs share one build; a failed build is tried again by the next
 * job (the failure goes to the jobs that waited on it).
 */
export function deferredGrader(name: string, build: () => Promise<Grader>): Grader {
  let built: Promise<Grader> | undefined;
  return {
    name,
    async grade(input, signal) {
      built ??= build().catch((error: unknown) => {
        built = undefined;
        throw error;
      });
      return (await built).grade(input, signal);
    },
    async close() {
      const grader = await built?.catch(() => undefined);
      await grader?.close();
    },
  };
}
