import type { Facts, RunManifest, Verdict } from '@gavel/core';
import type { ExportRecord } from './run-records.ts';

/** Builders of export records and manifests for the report package's tests. */

export const HASH_A = 'a'.repeat(64);
export const HASH_B = 'b'.repeat(64);

export function codeFacts(over: { passed?: boolean; ruffErrors?: number; timedOut?: boolean } = {}): Facts {
  const passed = over.passed ?? true;
  const tool = (errors: number) => ({
    version: '1',
    exit_code: 0,
    duration_ms: 1,
    errors,
    warnings: 0,
    diagnostics: [],
  });
  return {
    kind: 'code',
    reference: null,
    tests: {
      passed: passed ? 1 : 0,
      failed: passed ? 0 : 1,
      errors: 0,
      skipped: 0,
      total: 1,
      collected: 1,
      expected: 1,
      cases: [{ name: 'test_check', outcome: passed ? 'passed' : 'failed' }],
    },
    ruff: tool(over.ruffErrors ?? 0),
    pyright: tool(0),
    exit_code: passed ? 0 : 1,
    duration_ms: 10,
    timed_out: over.timedOut ?? false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: [],
    sandbox: { image: 'gavel-sandbox:x', image_digest: 'sha256:1' },
  };
}

export function verdict(pass: boolean, score = pass ? 1 : 0, over: Partial<Verdict> = {}): Verdict {
  return {
    pass,
    score,
    rationale: 'r',
    criteria: [{ id: 'correct', score, finding: null }],
    source: 'facts',
    facts_only: true,
    route: 'final',
    route_reasons: [],
    arbitration: 'none',
    flags: [],
    grader: null,
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: null,
    decided_at: '2026-12-01T00:00:00Z',
    ...over,
  };
}

export function record(
  run: string,
  sample: string,
  task: string | null,
  pass: boolean | null,
  over: Partial<ExportRecord> = {},
): ExportRecord {
  return {
    run_id: run,
    sample_id: sample,
    task_id: task,
    kind: 'code',
    sut: { model: `${run}-model`, family: 'acme' },
    status: pass === null ? 'failed' : 'verdict',
    facts: pass === null ? null : codeFacts({ passed: pass }),
    verdict: pass === null ? null : verdict(pass),
    judge_verdict: null,
    route: pass === null ? null : 'final',
    failure: pass === null ? { stage: 'sandbox', code: 'internal', reason: 'boom', at: '2026-12-01T00:00:00Z' } : null,
    rubric: { id: 'code-correctness', version: '1.0.0', hash: HASH_A },
    arbiter_cost: null,
    trace_id: null,
    ...over,
  };
}

export function manifest(
  run: string,
  over: { hash?: string; judgeModel?: string; version?: string } = {},
): RunManifest {
  return {
    run_id: run,
    created_at: '2026-12-01T00:00:00Z',
    gavel_version: over.version ?? '0.1.0',
    dataset: { format: 'humaneval', files: [], sha256: 'd'.repeat(64), samples: 0, skipped_invalid: 0 },
    rubrics: { code: { id: 'code-correctness', version: '1.0.0', hash: over.hash ?? HASH_A } },
    stages: {
      sandbox: {
        backend: 'docker',
        cpus: 1,
        memory_mib: 512,
        pids: 128,
        tmpfs_mib: 64,
        wall_s: 30,
        output_bytes: 1024,
        image: 'gavel-sandbox:x',
        image_digest: 'sha256:1',
        tool_versions: {},
      },
      judge: {
        mode: 'facts',
        model: over.judgeModel ?? null,
        family: null,
        temperature: 0,
        seed: 0,
        k: 0,
        k_temperature: 0.7,
        context_tokens: 16384,
        routing: { min_agreement: 0.8, threshold_margin: 0.05 },
      },
      arbiter: { mode: 'none', model: null, family: null },
    },
  };
}
