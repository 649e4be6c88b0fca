import { describe, expect, it } from 'vitest';
import { compareRuns } from './compare.ts';
import { Comparison } from './comparison.ts';
import { RubricMismatchError } from './rubric-check.ts';
import type { RunRecords } from './run-records.ts';
import { codeFacts, HASH_A, HASH_B, manifest, record } from './test-records.ts';

// Ten one-sample tasks T0..T9. Base passes T0..T7 (8/10). Candidate passes T0..T5 and T8 (7/10):
// T6, T7 regress (b = 2), T8 is fixed (c = 1). Scores equal the verdict (1 or 0). The candidate
// has ruff errors on T8 and T9.
const basePass = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
const candPass = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0];

function runs(over: { candidateHash?: string; judgeModel?: string } = {}): [RunRecords, RunRecords] {
  const base: RunRecords = {
    manifest: manifest('base-run'),
    records: basePass.map((p, i) => record('base-run', `b${i}`, `T${i}`, p === 1)),
  };
  const candidate: RunRecords = {
    manifest: manifest('cand-run', { hash: over.candidateHash, judgeModel: over.judgeModel }),
    records: candPass.map((p, i) =>
      record('cand-run', `c${i}`, `T${i}`, p === 1, {
        facts: codeFacts({ passed: p === 1, ruffErrors: i >= 8 ? 2 : 0 }),
        rubric: { id: 'code-correctness', version: '1.0.0', hash: over.candidateHash ?? HASH_A },
      }),
    ),
  };
  return [base, candidate];
}

describe('compareRuns drift of capped sandbox limits', () => {
  it("counts the samples that ran under a worker's lower limits than their run pinned", () => {
    const [base, candidate] = runs();
    // Candidate samples T0–T2 ran on a worker that capped wall_s: 3 of 10 against 0 of 10.
    const capped = {
      ...candidate,
      records: candidate.records.map((r, i) =>
        i < 3 && r.facts?.sandbox
          ? {
              ...r,
              facts: {
                ...r.facts,
                sandbox: { ...r.facts.sandbox, capped: [{ field: 'wall_s', asked: 60, applied: 30 }] },
              },
            }
          : r,
      ),
    };
    const drift = compareRuns(base, capped).facts.find((f) => f.id === 'sandbox_limits_capped');
    expect(drift).toMatchObject({ n: 10, base_mean: 0 });
    expect(drift?.candidate_mean).toBeCloseTo(0.3, 12);
    expect(drift?.delta).toBeCloseTo(0.3, 12);
  });
});

describe('compareRuns on a hand-computed pair of runs', () => {
  const [base, candidate] = runs();
  const c = compareRuns(base, candidate);

  it('has exactly the field names of the issue (plus like_for_like)', () => {
    expect(Object.keys(c).sort()).toEqual(
      [
        'paired',
        'base',
        'candidate',
        'delta_pass_rate',
        'delta_pass_rate_se',
        'delta_pass_rate_ci95',
        'delta_pass_rate_ci95_score',
        'delta_score',
        'delta_score_ci95',
        'correlation',
        'mcnemar',
        'mde_80',
        'regressions',
        'fixes',
        'only_in_base',
        'only_in_candidate',
        'failed_in_either',
        'criteria',
        'facts',
        'decision',
        'manifest_diff',
        'like_for_like',
      ].sort(),
    );
    for (const run of [c.base, c.candidate]) {
      expect(Object.keys(run).sort()).toEqual(
        ['run_id', 'n', 'pass_rate', 'pass_rate_se', 'pass_rate_ci95', 'mean_score', 'mean_score_se'].sort(),
      );
    }
    expect(Object.keys(c.mcnemar).sort()).toEqual(['b', 'c', 'method', 'p_value']);
    expect(Comparison.parse(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('gives each run its pass rate with the SE s/√n', () => {
    // Base: p = .8, s² = n·p(1−p)/(n−1) = 10·.16/9 = .17778, SE = √(.17778/10) = .13333.
    expect(c.base.n).toBe(10);
    expect(c.base.pass_rate).toBeCloseTo(0.8, 12);
    expect(c.base.pass_rate_se).toBeCloseTo(Math.sqrt((10 * 0.16) / 9 / 10), 12);
    expect(c.base.pass_rate_se).toBeCloseTo(0.133333, 6);
    expect(c.base.pass_rate_ci95?.[0]).toBeCloseTo(0.8 - 1.959964 * 0.133333, 5);
    // .8 + 1.959964·.133333 = 1.0613: a rate's interval is clipped to 1.
    expect(c.base.pass_rate_ci95?.[1]).toBe(1);
    // Candidate: p = .7, s² = 10·.21/9 = .23333, SE = √.023333 = .152753.
    expect(c.candidate.pass_rate).toBeCloseTo(0.7, 12);
    expect(c.candidate.pass_rate_se).toBeCloseTo(0.152753, 6);
    expect(c.candidate.mean_score).toBeCloseTo(0.7, 12);
    expect(c.candidate.mean_score_se).toBeCloseTo(0.152753, 6);
  });

  it('gives the paired difference with sd(d)/√n and its 95% CI', () => {
    // d = cand − base: T6, T7: −1; T8: +1; others 0. mean d = −1/10 = −.1.
    // Σ(d − d̄)² = 7·.1² + 2·.9² + 1.1² = .07 + 1.62 + 1.21 = 2.9; s² = 2.9/9 = .32222;
    // SE = √(.32222/10) = .179505; CI = −.1 ± 1.959964·.179505 = [−.451824, .251824].
    expect(c.delta_pass_rate).toBeCloseTo(-0.1, 12);
    expect(c.delta_pass_rate_se).toBeCloseTo(Math.sqrt(2.9 / 9 / 10), 12);
    expect(c.delta_pass_rate_se).toBeCloseTo(0.179505, 6);
    expect(c.delta_pass_rate_ci95?.[0]).toBeCloseTo(-0.451824, 5);
    expect(c.delta_pass_rate_ci95?.[1]).toBeCloseTo(0.251824, 5);
    expect(c.delta_score).toBeCloseTo(-0.1, 12);
    expect(c.delta_score_ci95?.[0]).toBeCloseTo(-0.451824, 5);
  });

  it("gives Newcombe's score interval of the pass-rate difference (hand-computed)", () => {
    // Candidate first: a = 6 (T0..T5 pass in both), b = 1 (T8, candidate only), c = 2 (T6, T7, base only),
    // d = 1 (T9). p₁ = 7/10, p₂ = 8/10. Wilson (z² = 3.841459, 2(n + z²) = 27.682918):
    // 7/10: (17.841459 ∓ 1.959964·√12.241459 = 6.857482)/27.682918 = [.396778, .892209];
    // 8/10: (19.841459 ∓ 1.959964·√10.241459 = 6.272331)/27.682918 = [.490162, .943318].
    // φ̂ = (6·1 − 1·2)/√(7·3·8·2) = 4/18.330303 = .218218.
    // Lower: −.1 − √(.303222² − 2·.218218·.303222·.143318 + .143318²) = −.1 − √.093517 = −.405806.
    // Upper: −.1 + √(.192209² − 2·.218218·.192209·.309838 + .309838²) = −.1 + √.106952 = .227036.
    expect(c.delta_pass_rate_ci95_score?.[0]).toBeCloseTo(-0.405806, 5);
    expect(c.delta_pass_rate_ci95_score?.[1]).toBeCloseTo(0.227036, 5);
  });

  it('correlates the per-pair scores', () => {
    // dx: .2 (×8), −.8 (×2); dy: .3 (T0..T5, T8), −.7 (T6, T7, T9).
    // Σdxdy = 6·.06 + 2·(−.14) + (−.24) + .56 = .40; Σdx² = 1.6; Σdy² = 7·.09 + 3·.49 = 2.1.
    // r = .4/√(1.6·2.1) = .4/1.833030 = .218218.
    expect(c.correlation).toBeCloseTo(0.4 / Math.sqrt(1.6 * 2.1), 12);
    expect(c.correlation).toBeCloseTo(0.218218, 6);
  });

  it('runs McNemar on the flips and says how small a change it could see', () => {
    // b = 2, c = 1, exact: 2·(C(3,0) + C(3,1))/2³ = 2·4/8 = 1.
    expect(c.mcnemar).toEqual({ b: 2, c: 1, p_value: 1, method: 'exact' });
    // ψ = 3/10. The MDE δ solves Connor's n = (1.959964·√ψ + 0.841621·√(ψ − δ²))²/δ² for n = 10.
    const d = c.mde_80 as number;
    expect((1.959964 * Math.sqrt(0.3) + 0.841621 * Math.sqrt(0.3 - d * d)) ** 2 / (d * d)).toBeCloseTo(10, 4);
  });

  it('lists the regressions and fixes with both sample ids and the facts that changed', () => {
    expect(c.regressions.map((f) => [f.task_id, f.base_sample_id, f.candidate_sample_id])).toEqual([
      ['T6', 'b6', 'c6'],
      ['T7', 'b7', 'c7'],
    ]);
    expect(c.fixes.map((f) => [f.task_id, f.base_sample_id, f.candidate_sample_id])).toEqual([['T8', 'b8', 'c8']]);
    expect(c.regressions[0]).toMatchObject({
      base_pass: true,
      candidate_pass: false,
      base_score: 1,
      candidate_score: 0,
    });
    expect(c.regressions[0]?.changed_facts).toContainEqual({
      fact: 'tests',
      base: '1/1 passed',
      candidate: '0/1 passed',
    });
    expect(c.fixes[0]?.changed_facts).toContainEqual({ fact: 'ruff_errors', base: 0, candidate: 2 });
  });

  it('shows the silent drift of each fact with a paired CI', () => {
    const ruff = c.facts.find((f) => f.id === 'ruff_errors');
    // Base 0/10, candidate 2/10 with ruff errors: d = 1 on T8, T9. mean .2; Σ(d − .2)² = 8·.04 + 2·.64 = 1.6;
    // SE = √(1.6/9/10) = .133333; CI = .2 ± .261329.
    expect(ruff).toMatchObject({ n: 10, base_mean: 0, candidate_mean: 0.2 });
    expect(ruff?.delta).toBeCloseTo(0.2, 12);
    expect(ruff?.delta_se).toBeCloseTo(0.133333, 6);
    expect(ruff?.delta_ci95?.[1]).toBeCloseTo(0.461329, 5);
    const tests = c.facts.find((f) => f.id === 'tests_passed');
    expect(tests?.base_mean).toBeCloseTo(0.8, 12);
    expect(tests?.candidate_mean).toBeCloseTo(0.7, 12);
    // No sample was judged with self-consistency or arbitrated: those facts apply to no pair.
    expect(c.facts.find((f) => f.id === 'judge_agreement')?.n).toBe(0);
    expect(c.facts.find((f) => f.id === 'arbiter_overturns')?.n).toBe(0);
    // Every sample ran under its run's own limits in both runs: 0 of 10 capped on each side.
    expect(c.facts.find((f) => f.id === 'sandbox_limits_capped')).toMatchObject({
      n: 10,
      base_mean: 0,
      candidate_mean: 0,
    });
    expect(c.criteria).toHaveLength(1);
    expect(c.criteria[0]?.id).toBe('correct');
    expect(c.criteria[0]?.delta).toBeCloseTo(-0.1, 12);
  });

  it('decides from the score interval, and blocks the ship only when a drop beyond the margin is not ruled out', () => {
    expect(c.decision).toMatchObject({ outcome: 'no significant change', ship_blocked: null, interval: 'score' });
    expect(c.paired.method).toMatch(/Newcombe \(1998\) hybrid score interval .*which decides/);
    // The score interval's lower end is −40.58 pts (the Wald interval's −45.18): a 41-point margin is
    // respected, a 40-point margin is not.
    const ok = compareRuns(base, candidate, { maxDropPts: 41 }).decision;
    expect(ok.ship_blocked).toBe(false);
    expect(ok.reason).toMatch(/^95% score interval \(Newcombe\) of the pass-rate difference \[-40\.6 pts, 22\.7 pts\]/);
    expect(compareRuns(base, candidate, { maxDropPts: 40 }).decision.ship_blocked).toBe(true);
  });

  it('records the seed and the manifests that differ', () => {
    const [b, k] = runs({ judgeModel: 'judge-2' });
    const r = compareRuns(b, k, { seed: 7 });
    expect(r.paired.seed).toBe(7);
    expect(r.manifest_diff).toEqual([
      { field: 'sut.model', base: 'base-run-model', candidate: 'cand-run-model' },
      { field: 'judge.model', base: null, candidate: 'judge-2' },
    ]);
  });
});

describe('compareRuns refuses runs graded on different rubrics', () => {
  it('names both hashes', () => {
    const [base, candidate] = runs({ candidateHash: HASH_B });
    expect(() => compareRuns(base, candidate)).toThrow(RubricMismatchError);
    expect(() => compareRuns(base, candidate)).toThrow(new RegExp(`${HASH_A}.*${HASH_B}`));
  });

  it('compares anyway with allowRubricChange and marks the result not like-for-like', () => {
    const [base, candidate] = runs({ candidateHash: HASH_B });
    const r = compareRuns(base, candidate, { allowRubricChange: true });
    expect(r.like_for_like).toBe(false);
    expect(r.paired.rubric_changes[0]).toMatchObject({
      scope: 'code',
      base: { hash: HASH_A },
      candidate: { hash: HASH_B },
    });
    expect(r.manifest_diff.map((d) => d.field)).toContain('rubric');
  });
});

describe('compareRuns with several samples per task', () => {
  it('clusters the standard errors by task (hand-computed)', () => {
    // Tasks A, B, C with two samples each. Base passes all six. Candidate: A fails both, B passes
    // both, C fails its second. d: A −1, −1; B 0, 0; C 0, −1; n = 6, d̄ = −.5.
    // Residual sums per task: A −.5−.5 = −1; B .5+.5 = 1; C .5−.5 = 0.
    // SE² = 3/2 · (1 + 1 + 0)/36 = 1/12 → SE = .288675.
    const tasks = ['A', 'A', 'B', 'B', 'C', 'C'];
    const cand = [false, false, true, true, true, false];
    const base: RunRecords = { manifest: null, records: tasks.map((t, i) => record('b', `b${i}`, t, true)) };
    const candidate: RunRecords = {
      manifest: null,
      records: tasks.map((t, i) => record('c', `c${i}`, t, cand[i] as boolean)),
    };
    const r = compareRuns(base, candidate);
    expect(r.paired).toMatchObject({ n: 6, tasks: 3, clustered: true });
    expect(r.delta_pass_rate).toBeCloseTo(-0.5, 12);
    expect(r.delta_pass_rate_se).toBeCloseTo(Math.sqrt(1 / 12), 12);
    // The base passes everything: its pass rate has no spread.
    expect(r.base.pass_rate_se).toBe(0);
    // Candidate: values 0,0 | 1,1 | 1,0, mean .5, the same residual sums → SE = .288675.
    expect(r.candidate.pass_rate_se).toBeCloseTo(Math.sqrt(1 / 12), 12);
    // b = 3, c = 0: exact p = 2·C(3,0)/2³ = .25.
    expect(r.mcnemar.p_value).toBe(0.25);
    expect(r.regressions.map((f) => f.base_sample_id)).toEqual(['b0', 'b1', 'b5']);
    // Wald CI = −.5 ± 1.959964·.288675 = [−1.0658, .0658], clipped to [−1, .065795]: width 1.065795.
    // Score interval over the 6 pairs as a table (candidate first): a = 3, b = 0, c = 3, d = 0; (b+d) = 0 so
    // φ̂ = 0. Wilson 3/6 = (9.841459 ∓ 1.959964·√9.841459 = 6.148623)/19.682918 = [.187616, .812384];
    // Wilson 6/6 = [6/9.841459, 1] = [.609666, 1]. Lower −.5 − .312384 = −.812384;
    // upper −.5 + √(.312384² + .390334²) = −.000056: width .812328 < 1.065795, so the clustered Wald
    // interval decides (the score interval alone, blind to the clustering, would say `regressed`).
    expect(r.delta_pass_rate_ci95_score?.[0]).toBeCloseTo(-0.812384, 5);
    expect(r.delta_pass_rate_ci95_score?.[1]).toBeCloseTo(-0.5 + Math.sqrt(0.312384 ** 2 + 0.390334 ** 2), 5);
    expect(r.delta_pass_rate_ci95?.[1]).toBeCloseTo(-0.5 + 1.959964 * Math.sqrt(1 / 12), 5);
    expect(r.decision).toMatchObject({ outcome: 'no significant change', interval: 'wald_clustered' });
    expect(r.decision.reason).toMatch(
      /^95% clustered Wald interval \(wider than the score interval \[-81\.2 pts, -0\.0 pts\]\)/,
    );
    expect(r.paired.method).toMatch(/the decision uses the wider of it and the clustered delta_pass_rate_ci95/);
  });

  it('divides n by the design effect in the MDE when flips cluster within tasks (hand-computed)', () => {
    // 10 tasks × 2 samples. T0, T1 regress on both samples (b = 4), T2 is fixed on both (c = 2).
    // d: −1 ×4, +1 ×2, 0 ×14; d̄ = −.1.
    // Unclustered SE² = Σ(d − d̄)²/(n − 1)/n = (14·.01 + 4·.81 + 2·1.21)/19/20 = 5.8/380.
    // Clustered: residual sums T0, T1: −1.8; T2: 2.2; T3..T9: .2 → Σ² = 2·3.24 + 4.84 + 7·.04 = 11.6;
    // SE² = 10/9 · 11.6/400. deff = (10/9 · 11.6/400)/(5.8/380) = 44080/20880 = 2.1111;
    // n_eff = 20/2.1111 = 9.4737, ψ = 6/20 = .3: δ solves Connor's n_eff = (1.959964√ψ + 0.841621√(ψ − δ²))²/δ².
    const tasks = Array.from({ length: 20 }, (_, i) => `T${Math.floor(i / 2)}`);
    const basePass = tasks.map((t) => t !== 'T2');
    const candPass = tasks.map((t) => t !== 'T0' && t !== 'T1');
    const base: RunRecords = {
      manifest: null,
      records: tasks.map((t, i) => record('b', `b${i}`, t, basePass[i] as boolean)),
    };
    const candidate: RunRecords = {
      manifest: null,
      records: tasks.map((t, i) => record('c', `c${i}`, t, candPass[i] as boolean)),
    };
    const r = compareRuns(base, candidate);
    expect(r.delta_pass_rate_se).toBeCloseTo(Math.sqrt((10 / 9) * (11.6 / 400)), 12);
    const nEff = 20 / (44080 / 20880);
    expect(nEff).toBeCloseTo(9.4737, 4);
    const d = r.mde_80 as number;
    expect((1.959964 * Math.sqrt(0.3) + 0.841621 * Math.sqrt(0.3 - d * d)) ** 2 / (d * d)).toBeCloseTo(nEff, 4);
  });

  it('says regressed or improved when the CI excludes zero', () => {
    const n = 20;
    const base: RunRecords = {
      manifest: null,
      records: Array.from({ length: n }, (_, i) => record('b', `b${i}`, `T${i}`, i >= 10)),
    };
    const candidate: RunRecords = {
      manifest: null,
      records: Array.from({ length: n }, (_, i) => record('c', `c${i}`, `T${i}`, true)),
    };
    // d = 1 on ten tasks, 0 on ten: d̄ = .5, s² = 20·.25/19 = .263158, SE = √(.263158/20) = .114708,
    // CI = .5 ± .224826 = [.275174, .724826] > 0.
    const up = compareRuns(base, candidate);
    expect(up.delta_pass_rate_ci95?.[0]).toBeCloseTo(0.275174, 5);
    // Score interval, candidate first: a = 10, b = 10, c = d = 0 (φ̂ = 0). Wilson 20/20 = [20/23.841459, 1]
    // = [.838875, 1]; Wilson 10/20 = (23.841459 ∓ 1.959964·√23.841459 = 9.570056)/47.682918
    // = [.299298, .700702]. Lower = .5 − √((1 − .838875)² + (.700702 − .5)²) = .5 − √.066241 = .242624 > 0.
    expect(up.delta_pass_rate_ci95_score?.[0]).toBeCloseTo(0.242624, 5);
    expect(up.decision).toMatchObject({ outcome: 'improved', interval: 'score' });
    const down = compareRuns(candidate, base);
    expect(down.delta_pass_rate_ci95_score?.[1]).toBeCloseTo(-0.242624, 5);
    expect(down.decision.outcome).toBe('regressed');
  });
});
