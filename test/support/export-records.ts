import type { Facts, RunManifest, Verdict } from '@gavel/core';
import { ExportRecord } from '@gavel/report';

/** Export records as `gavel export` writes them, for the report tests and the review benchmark. */

export const RUBRIC = { id: 'code-correctness', version: '1.2.0', hash: 'a'.repeat(64) };
export const CRITERIA = ['correctness', 'tests', 'style', 'safety'] as const;

export function manifest(runId: string, overrides: { sutImageDigest?: string } = {}): RunManifest {
  return {
    run_id: runId,
    created_at: '2026-12-01T08:00:00.000Z',
    gavel_version: '0.1.0',
    dataset: {
      format: 'jsonl',
      files: [{ path: 'humaneval-samples.jsonl', sha256: 'b'.repeat(64) }],
      sha256: 'c'.repeat(64),
      samples: 0,
      skipped_invalid: 0,
    },
    rubrics: { code: RUBRIC },
    stages: {
      sandbox: {
        backend: 'docker',
        cpus: 1,
        memory_mib: 512,
        pids: 128,
        tmpfs_mib: 64,
        wall_s: 30,
        output_bytes: 1048576,
        image: 'gavel-sandbox:2f9c',
        image_digest: overrides.sutImageDigest ?? `sha256:${'d'.repeat(64)}`,
        tool_versions: { ruff: '0.8.0', pyright: '1.1.390' },
      },
      judge: {
        mode: 'vllm',
        model: 'judge-70b-fp4',
        family: 'judgefam',
        temperature: 0,
        seed: 7,
        k: 4,
        k_temperature: 0.7,
        context_tokens: 16384,
        routing: { min_agreement: 0.8, threshold_margin: 0.05 },
      },
      arbiter: { mode: 'anthropic-batch', model: 'arbiter-large', family: 'arbfam' },
    },
  };
}

export function facts(overrides: Partial<Facts> = {}): Facts {
  return {
    kind: 'code',
    reference: null,
    tests: {
      passed: 3,
      failed: 0,
      errors: 0,
      skipped: 0,
      total: 3,
      collected: 3,
      expected: 3,
      cases: [
        { name: 'test_basic', outcome: 'passed' },
        { name: 'test_edge', outcome: 'passed' },
        { name: 'test_large', outcome: 'passed' },
      ],
    },
    ruff: { version: '0.8.0', exit_code: 0, duration_ms: 40, errors: 0, warnings: 0, diagnostics: [] },
    pyright: { version: '1.1.390', exit_code: 0, duration_ms: 900, errors: 0, warnings: 0, diagnostics: [] },
    exit_code: 0,
    duration_ms: 1200,
    timed_out: false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: [],
    sandbox: { image: 'gavel-sandbox:2f9c', image_digest: `sha256:${'d'.repeat(64)}` },
    ...overrides,
  };
}

export function verdict(pass: boolean, score: number, overrides: Partial<Verdict> = {}): Verdict {
  return {
    pass,
    score,
    rationale: pass ? 'All tests pass and the code is clear.' : 'The edge case test fails.',
    criteria: CRITERIA.map((id) => ({ id, score, finding: null })),
    source: 'judge',
    facts_only: false,
    route: 'final',
    route_reasons: [],
    arbitration: 'none',
    flags: [],
    grader: { model: 'judge-70b-fp4', family: 'judgefam' },
    consistency: {
      k: 4,
      samples: 5,
      majority: pass,
      agreement: 1,
      score_mean: score,
      score_variance: 0,
      seeds: [7, 8, 9, 10, 11],
      temperatures: [0, 0.7, 0.7, 0.7, 0.7],
    },
    arbiter: null,
    judge_verdict: null,
    usage: null,
    decided_at: '2026-12-01T08:05:00.000Z',
    ...overrides,
  };
}

/** One export record (validated against the schema, so a fixture can never drift from the contract). */
export function record(runId: string, sampleId: string, overrides: Partial<ExportRecord> = {}): ExportRecord {
  const v = overrides.verdict === undefined ? verdict(true, 0.9) : overrides.verdict;
  return ExportRecord.parse({
    run_id: runId,
    sample_id: sampleId,
    task_id: `HumanEval/${sampleId}`,
    kind: 'code',
    sut: { model: 'sut-base-8b', family: 'sutfam', precision: 'bf16' },
    status: v ? 'verdict' : 'failed',
    facts: facts(),
    verdict: v,
    judge_verdict: null,
    route: v?.route ?? null,
    failure: null,
    rubric: RUBRIC,
    arbiter_cost: null,
    trace_id: null,
    prompt: `def f_${sampleId}(x):\n    """Return x doubled."""\n`,
    output: `def f_${sampleId}(x):\n    return x * 2\n`,
    ...overrides,
  });
}
