import { join } from 'node:path';
import { type Facts, GAVEL_VERSION, RunManifest, type PointwiseSample as Sample } from '@gavel/core';
import type { LlmJudgeSettings } from '@gavel/judge';
import { type LoadedRubric, loadRubric } from '@gavel/rubric';

export const RUBRICS = join(import.meta.dirname, '../../rubrics');

export function textRubric(): Promise<LoadedRubric> {
  return loadRubric(RUBRICS, 'text-answer');
}

export function settings(overrides: Partial<LlmJudgeSettings> & Pick<LlmJudgeSettings, 'url'>): LlmJudgeSettings {
  return {
    mode: 'vllm',
    model: 'judge-model',
    family: 'judgefam',
    apiKey: undefined,
    k: 0,
    kTemperature: 0.7,
    seed: 42,
    contextTokens: 16_384,
    inflight: 64,
    maxOutputTokens: 1024,
    requestTimeoutMs: 30_000,
    invalidRetries: 2,
    waitMs: 60_000,
    startupWaitMs: 2_000,
    routing: { min_agreement: 0.8, threshold_margin: 0.05 },
    ...overrides,
  };
}

/** A run manifest as the producer writes it, pinned to `judge`. */
export function manifest(rubric: LoadedRubric, judge: Partial<RunManifest['stages']['judge']> = {}): RunManifest {
  return RunManifest.parse({
    run_id: 'run-judge',
    created_at: new Date().toISOString(),
    gavel_version: GAVEL_VERSION,
    dataset: { format: 'jsonl', files: [], sha256: '0'.repeat(64), samples: 1, skipped_invalid: 0 },
    rubrics: { [rubric.kind]: rubric.ref },
    stages: {
      sandbox: {},
      judge: { mode: 'vllm', model: 'judge-model', family: 'judgefam', seed: 42, ...judge },
      arbiter: {},
    },
  });
}

/** The manifest of a facts-only text run `runId` of `samples` samples, as the producer writes it. */
export function factsRunManifest(runId: string, rubric: LoadedRubric, samples: number): RunManifest {
  return RunManifest.parse({
    run_id: runId,
    created_at: new Date().toISOString(),
    gavel_version: GAVEL_VERSION,
    dataset: { format: 'jsonl', files: [], sha256: 'a'.repeat(64), samples, skipped_invalid: 0 },
    rubrics: { text: rubric.ref },
    stages: { sandbox: {}, judge: { mode: 'facts' }, arbiter: {} },
  });
}

/** A text sample and its reference facts; `correct` decides exact match and F1. */
export function textCase(
  i: number,
  correct: boolean,
  sut: Partial<Sample['sut']> = {},
): { sample: Sample; facts: Facts } {
  return {
    sample: {
      id: `s-${i}`,
      kind: 'text',
      prompt: `Question ${i}: what is the capital of France?`,
      output: correct ? 'Paris' : 'Lyon',
      reference: ['Paris', 'Paris, France'],
      sut: { model: 'acme-7b', family: 'acme', ...sut },
    },
    facts: {
      kind: 'text',
      reference: { exact_match: correct, f1: correct ? 1 : 0, references: 2 },
      tests: null,
      ruff: null,
      pyright: null,
      exit_code: null,
      duration_ms: 0,
      timed_out: false,
      oom_killed: false,
      output_truncated: false,
      fabricated_claim: [],
      sandbox: null,
    },
  };
}
