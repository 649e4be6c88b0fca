import type { Facts, RunManifest, Sample, Verdict } from '@gavel/core';
import type { LoadedRubric } from '@gavel/rubric';

export interface GradeInput {
  sample: Sample;
  facts: Facts;
  rubric: LoadedRubric;
  manifest: RunManifest;
}

/** Turns a sample and its facts into a verdict (facts-only, a local LLM, …). */
export interface Grader {
  /** Recorded in verdicts and the manifest, e.g. `facts` or `vllm:qwen3-32b-fp4`. */
  readonly name: string;
  grade(input: GradeInput, signal: AbortSignal): Promise<Verdict>;
  close(): Promise<void>;
}
