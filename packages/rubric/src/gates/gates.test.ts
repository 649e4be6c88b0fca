import { describe, expect, it } from 'vitest';
import { RubricCriterion } from '../rubric.ts';
import { adversarialGate } from './adversarial.ts';
import { contaminationGate, contaminationTokens, ngramIndex, overlapWith } from './contamination.ts';
import { discriminativeGate, type LabelledOutcome } from './discriminative.ts';
import { pinnedGate } from './pinned.ts';

const criteria = [
  RubricCriterion.parse({ id: 'tests', description: 'd', weight: 0.6 }),
  RubricCriterion.parse({ id: 'style', description: 'd', weight: 0.4 }),
  RubricCriterion.parse({ id: 'spec', description: 'd', weight: 0.2 }),
];

function outcome(i: number, label: 'good' | 'bad', pass: boolean, style = pass ? 1 : 0): LabelledOutcome {
  return {
    sample_id: `s${i}`,
    label,
    verdict: {
      pass,
      score: pass ? 1 : 0,
      criteria: [
        { id: 'tests', score: pass ? 1 : 0, finding: null },
        { id: 'style', score: style, finding: null },
      ],
      consistency: null,
    },
  };
}

describe('the discriminative gate', () => {
  it('passes a rubric that agrees with the labels; spec, never scored, is not called constant', () => {
    const outcomes = [
      ...Array.from({ length: 10 }, (_, i) => outcome(i, 'good', true)),
      ...Array.from({ length: 10 }, (_, i) => outcome(10 + i, 'bad', false)),
    ];
    const r = discriminativeGate(outcomes, criteria);
    expect(r.passed).toBe(true);
    expect(r.confusion).toEqual({ tp: 10, fn: 0, fp: 0, tn: 10 });
    expect(r.pass_rate?.value).toBe(0.5);
    expect(r.criteria.find((c) => c.id === 'spec')).toMatchObject({ scored: 0, constant: false });
  });

  it('fails an all-pass rubric: pass rate above 95%, κ undefined, TNR 0', () => {
    const outcomes = [
      ...Array.from({ length: 10 }, (_, i) => outcome(i, 'good', true)),
      ...Array.from({ length: 10 }, (_, i) => outcome(10 + i, 'bad', true)),
    ];
    const r = discriminativeGate(outcomes, criteria);
    expect(r.passed).toBe(false);
    expect(r.reasons.join('\n')).toMatch(/pass rate 1\.000 \(20\/20\) is outside \[0\.05, 0\.95\]/);
    // labels 10/10, verdicts all pass: p_o = 0.5, p_e = (10·20 + 10·0)/400 = 0.5 → κ = 0
    expect(r.kappa?.kappa).toBe(0);
    expect(r.tnr?.value).toBe(0);
    expect(r.reasons.join('\n')).toMatch(/TNR 0\.000 is below 0\.8/);
  });

  it('fails when a weighted criterion is constant over the set, and when samples got no verdict', () => {
    const outcomes = [
      ...Array.from({ length: 5 }, (_, i) => outcome(i, 'good', true, 1)),
      ...Array.from({ length: 5 }, (_, i) => outcome(5 + i, 'bad', false, 1)),
      { sample_id: 'lost', label: 'bad' as const, verdict: null, failure: 'sandbox: image missing' },
    ];
    const r = discriminativeGate(outcomes, criteria);
    expect(r.passed).toBe(false);
    expect(r.reasons).toContain(
      'criterion style (weight 0.4) scored the same on all 10 sample(s): it measures nothing',
    );
    expect(r.no_verdict).toEqual([{ sample_id: 'lost', reason: 'sandbox: image missing' }]);
  });

  it('reports self-consistency as the mean agreement and variance of the k samples', () => {
    const withK = (i: number, label: 'good' | 'bad', pass: boolean, agreement: number, variance: number) => {
      const o = outcome(i, label, pass);
      return {
        ...o,
        verdict: o.verdict && {
          ...o.verdict,
          consistency: {
            k: 2,
            samples: 3,
            majority: pass,
            agreement,
            score_mean: 0.5,
            score_variance: variance,
            seeds: [1, 2, 3],
            temperatures: [0, 0.7, 0.7],
          },
        },
      };
    };
    const r = discriminativeGate([withK(0, 'good', true, 1, 0), withK(1, 'bad', false, 2 / 3, 0.03)], criteria);
    expect(r.self_consistency?.samples).toBe(2);
    expect(r.self_consistency?.mean_agreement).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(r.self_consistency?.mean_score_variance).toBeCloseTo(0.015, 12);
  });
});

describe('the adversarial gate', () => {
  it('passes only when every attack fails; a passing attack and one without a verdict are named', () => {
    const ok = adversarialGate([
      { sample_id: 'a', attack: 'exit-zero', verdict: { pass: false, score: 0.1, flags: [] } },
    ]);
    expect(ok).toMatchObject({ passed: true, n: 1, failed: 1 });
    const holes = adversarialGate([
      { sample_id: 'a', attack: 'exit-zero', verdict: { pass: false, score: 0.1, flags: [] } },
      { sample_id: 'b', attack: 'hardcoded-answers', verdict: { pass: true, score: 1, flags: [] } },
      { sample_id: 'c', attack: 'master-key', verdict: null, failure: 'judge: bad answer' },
    ]);
    expect(holes.passed).toBe(false);
    expect(holes.failed).toBe(1);
    expect(holes.reasons).toEqual([
      'attack hardcoded-answers (b) passed with score 1.000',
      'attack master-key (c) got no verdict: judge: bad answer',
    ]);
    expect(adversarialGate([]).passed).toBe(false);
  });
});

describe('the contamination gate', () => {
  const source = {
    name: 'public',
    tasks: [{ id: 'P/1', tokens: contaminationTokens('one two three four five six seven eight nine ten') }],
  };

  it('measures the share of tokens covered by shared n-grams (counted by hand)', () => {
    const index = ngramIndex([source], 4);
    // 8 tokens; "three four five six" and "four five six seven" are shared: tokens 3–7 (5 of 8) covered.
    const o = overlapWith('alpha beta Three, four; five six seven omega', index);
    expect(o.tokens).toBe(8);
    expect(o.overlap).toBeCloseTo(5 / 8, 12);
    expect(o.match).toEqual({ source: 'public', task: 'P/1', ngrams: 2 });
    expect(overlapWith('three four five', index).overlap).toBe(0);
  });

  it('fails on a public eval task, only reports public calibration tasks', () => {
    const tasks = [
      { set: 'eval' as const, task_id: 'E/1', text: 'one two three four five six seven eight' },
      { set: 'eval' as const, task_id: 'E/2', text: 'a private task with its own words' },
      { set: 'calibration' as const, task_id: 'C/1', text: 'one two three four five six seven' },
    ];
    const r = contaminationGate(tasks, [source], { n: 4, threshold: 0.5 });
    expect(r.passed).toBe(false);
    expect(r.flagged.map((f) => `${f.set}:${f.task_id}`)).toEqual(['eval:E/1', 'calibration:C/1']);
    expect(r.reasons[0]).toMatch(
      /^1 eval task\(s\) overlap a public source at ≥ 0\.5 of their 4-grams: E\/1 \(100% ~ P\/1\)/,
    );
    const calibrationOnly = contaminationGate(tasks.slice(1), [source], { n: 4, threshold: 0.5 });
    expect(calibrationOnly.passed).toBe(true);
    expect(calibrationOnly.flagged).toHaveLength(1);
  });
});

describe('the pinned gate', () => {
  const hash = (c: string) => c.repeat(64);
  it('wants a semver above every other version, and unchanged bytes for a pinned version', () => {
    const lock = {
      'r@1.0.0': { sha256: hash('a') },
      'r@1.2.0': { sha256: hash('b') },
      'other@9.0.0': { sha256: hash('c') },
    };
    expect(pinnedGate('r', '1.3.0', hash('d'), lock)).toMatchObject({ passed: true, earlier: ['1.0.0', '1.2.0'] });
    expect(pinnedGate('r', '1.1.0', hash('d'), lock).reasons).toEqual([
      'version 1.1.0 is not above every earlier version of r (pinned: 1.2.0)',
    ]);
    expect(pinnedGate('r', '1.2.0', hash('b'), lock)).toMatchObject({ passed: true, already_frozen: true });
    expect(pinnedGate('r', '1.2.0', hash('e'), lock).reasons[0]).toMatch(/already pinned .* bump its version/);
  });
});
