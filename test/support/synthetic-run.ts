import type { Verdict } from '@gavel/core';
import type { ExportRecord, RunRecords } from '@gavel/report';
import { CRITERIA, facts, manifest, record, verdict } from './export-records.ts';

/** Generated runs of realistic code samples, for the review matrix e2e test and the 10k benchmark. */

/** A small deterministic PRNG (mulberry32), so generated runs are the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['parse', 'sum', 'window', 'merge', 'tokens', 'prime', 'digits', 'palindrome', 'matrix', 'interval'];

/** A task's prompt and a plausible completion of it (about 20 lines of Python). */
function code(task: number, variant: number, rand: () => number): { prompt: string; output: string } {
  const name = `${WORDS[task % WORDS.length]}_${task}`;
  const prompt = `from typing import List\n\n\ndef ${name}(values: List[int], k: int) -> List[int]:\n    """Return the running ${WORDS[(task + 3) % WORDS.length]} of values over a window of k.\n\n    >>> ${name}([1, 2, 3, 4], 2)\n    [3, 5, 7]\n    """\n`;
  const lines = [
    `def ${name}(values: List[int], k: int) -> List[int]:`,
    '    if k <= 0:',
    '        raise ValueError("k must be positive")',
    '    out: List[int] = []',
    '    acc = 0',
    '    for i, v in enumerate(values):',
    '        acc += v',
    '        if i >= k:',
    '            acc -= values[i - k]',
    '        if i >= k - 1:',
    '            out.append(acc)',
    variant % 3 === 0 ? '    # handles the empty list too' : '    # window sums, O(n)',
    '    return out',
  ];
  const extra = Math.floor(rand() * 10);
  for (let i = 0; i < extra; i++) lines.push(`# note ${i}: checked against the docstring example`);
  return { prompt, output: `${lines.join('\n')}\n` };
}

export interface SyntheticOptions {
  runId: string;
  n: number;
  seed: number;
  /** Pass probability of a sample; the base and candidate of a pair differ only here. */
  passRate: number;
  /** Seed of the per-task noise that, with the task's difficulty, decides pass; runs differing here flip both ways. */
  noiseSeed?: number;
  sut?: { model: string; family: string; precision?: string };
}

/**
 * A run of `n` HumanEval-like code samples (one per task, task ids `T<i>`) with realistic facts:
 * test cases with messages, ruff/pyright diagnostics, rare timeouts and OOM kills, four criteria,
 * self-consistency, ~8% routed to the arbiter (some overturned), ~1% failed to grade. Task `i`'s
 * outcome is drawn from `seed + i`, so two runs with the same seed and pass rates pair up closely.
 */
export function syntheticRun(options: SyntheticOptions): RunRecords {
  const records: ExportRecord[] = [];
  for (let i = 0; i < options.n; i++) {
    const rand = prng(options.seed * 1_000_003 + i);
    const difficulty = rand();
    const noise = options.noiseSeed === undefined ? rand() : prng(options.noiseSeed * 7919 + i)();
    const pass = difficulty * 0.7 + noise * 0.3 < options.passRate;
    const sampleId = `${options.runId}-s${i}`;
    const failedTests = pass ? 0 : 1 + Math.floor(rand() * 3);
    const total = 3 + (i % 5);
    const timedOut = !pass && rand() < 0.03;
    const oom = !pass && !timedOut && rand() < 0.01;
    const ruffErrors = rand() < 0.12 ? 1 + Math.floor(rand() * 3) : 0;
    const pyrightErrors = rand() < 0.1 ? 1 + Math.floor(rand() * 2) : 0;
    const cases = Array.from({ length: total }, (_, t) => {
      const failed = t < failedTests;
      return failed
        ? {
            name: `test_case_${t}`,
            outcome: 'failed' as const,
            message: `AssertionError: expected [3, 5, 7], got [3, 5]`,
          }
        : { name: `test_case_${t}`, outcome: 'passed' as const };
    });
    const f = facts({
      tests: {
        passed: total - failedTests,
        failed: failedTests,
        errors: 0,
        skipped: 0,
        total,
        collected: total,
        expected: total,
        cases,
      },
      ruff: {
        version: '0.8.0',
        exit_code: ruffErrors ? 1 : 0,
        duration_ms: 30 + rand() * 40,
        errors: ruffErrors,
        warnings: 0,
        diagnostics: Array.from({ length: ruffErrors }, (_, d) => ({
          code: 'F841',
          message: `local variable \`tmp${d}\` is assigned to but never used`,
          severity: 'error' as const,
          line: 4 + d,
        })),
      },
      pyright: {
        version: '1.1.390',
        exit_code: pyrightErrors ? 1 : 0,
        duration_ms: 700 + rand() * 500,
        errors: pyrightErrors,
        warnings: 0,
        diagnostics: Array.from({ length: pyrightErrors }, (_, d) => ({
          code: 'reportReturnType',
          message: `Type "List[int] | None" is not assignable to return type "List[int]"`,
          severity: 'error' as const,
          line: 12 + d,
        })),
      },
      exit_code: timedOut ? null : pass ? 0 : 1,
      duration_ms: timedOut ? 30_000 : 800 + rand() * 2000,
      timed_out: timedOut,
      oom_killed: oom,
    });
    const draw = options.noiseSeed === undefined ? rand : prng(options.noiseSeed * 104_729 + i);
    const score = Math.round((pass ? 0.7 + draw() * 0.3 : draw() * 0.6) * 100) / 100;
    const agreement = rand() < 0.1 ? 0.6 : 1;
    const safety = rand() < 0.01;
    const routed = agreement < 0.8 || safety || rand() < 0.04;
    const reasons = [
      ...(agreement < 0.8 ? (['low_agreement'] as const) : []),
      ...(safety ? (['safety'] as const) : []),
      ...(routed && agreement >= 0.8 && !safety ? (['near_threshold'] as const) : []),
    ];
    const criteria = CRITERIA.map((id, c) => ({
      id,
      score: Math.max(0, Math.min(1, Math.round((score + (rand() - 0.5) * 0.3 + (c === 3 ? 0.2 : 0)) * 100) / 100)),
      finding: id === 'safety' && safety ? 'uses eval() on its input' : null,
    }));
    const judged = verdict(pass, score, {
      criteria,
      route: routed ? 'arbiter' : 'final',
      route_reasons: [...reasons],
      rationale: pass
        ? `All ${total} tests pass; the window arithmetic is correct and O(n).`
        : `${failedTests} of ${total} tests fail: the last window is dropped (off by one in the loop bound).`,
      consistency: {
        k: 4,
        samples: 5,
        majority: pass,
        agreement,
        score_mean: score,
        score_variance: agreement < 1 ? 0.04 : 0.001,
        seeds: [7, 8, 9, 10, 11],
        temperatures: [0, 0.7, 0.7, 0.7, 0.7],
      },
    });
    const overturn = routed && rand() < 0.3;
    const final: Verdict = routed
      ? {
          ...judged,
          pass: overturn ? !pass : pass,
          score: overturn ? Math.round((1 - score) * 100) / 100 : score,
          rationale: overturn
            ? 'The judge missed that the empty input raises; the arbiter reverses the verdict.'
            : 'The arbiter agrees with the judge after reading the failing test.',
          source: 'arbiter',
          arbitration: 'done',
          arbiter: { model: 'arbiter-large', batch_id: 'msgbatch_01', custom_id: `c-${i}`, path: 'anthropic-batch' },
          judge_verdict: { pass: judged.pass, score: judged.score, rationale: judged.rationale },
        }
      : judged;
    const failedToGrade = rand() < 0.01;
    const { prompt, output } = code(i, options.seed, rand);
    records.push(
      record(options.runId, sampleId, {
        task_id: `T${i}`,
        sut: options.sut ?? { model: 'sut-base-8b', family: 'sutfam', precision: 'bf16' },
        status: failedToGrade ? 'failed' : 'verdict',
        facts: f,
        verdict: failedToGrade ? null : final,
        judge_verdict: failedToGrade ? null : routed ? judged : null,
        route: failedToGrade ? null : final.route,
        failure: failedToGrade
          ? {
              stage: 'judge',
              code: 'transient_exhausted',
              reason: 'judge server 503 after 5 attempts',
              at: '2026-12-01T08:06:00Z',
            }
          : null,
        prompt,
        output,
      }),
    );
  }
  const m = manifest(options.runId);
  m.dataset.samples = options.n;
  return { manifest: m, records };
}
