import { describe, expect, it } from 'vitest';
import { compareRuns } from './compare.ts';
import { formatComparison } from './format-comparison.ts';
import type { RunRecords } from './run-records.ts';
import { HASH_B, manifest, record } from './test-records.ts';

const base: RunRecords = {
  manifest: manifest('base-run'),
  records: [
    record('base-run', 'b0', 'T0', true),
    record('base-run', 'b1', 'T1\u001b[31m', true),
    record('base-run', 'b2', 'T2', false),
  ],
};
const candidate: RunRecords = {
  manifest: manifest('cand-run', { judgeModel: 'judge-2' }),
  records: [
    record('cand-run', 'c0', 'T0', true),
    record('cand-run', 'c1', 'T1\u001b[31m', false),
    record('cand-run', 'c2', 'T2', true),
  ],
};

describe('formatComparison', () => {
  it('prints the manifest differences, the figures, the flips and the decision line', () => {
    const text = formatComparison(compareRuns(base, candidate, { maxDropPts: 5 }));
    expect(text).toContain('judge.model: (unknown) → judge-2');
    // 2/3 → 2/3; d = 0, −1, +1: d̄ = 0.
    expect(text).toMatch(/base: n=3, pass rate 66\.7%/);
    expect(text).toMatch(/paired difference: pass rate \+0\.0 pts/);
    expect(text).toMatch(/McNemar: b=1 \(pass → fail\), c=1 \(fail → pass\), p=1\.000 \(exact binomial\)/);
    expect(text).toMatch(
      /regressions \(1\):\n {2}T1\\u001b\[31m: base b1 \(pass 1\.00\) → candidate c1 \(fail 0\.00\)/,
    );
    expect(text).toMatch(/fixes \(1\):\n {2}T2: base b2/);
    expect(text).toMatch(/decision: no significant change — .*ship BLOCKED \(max drop 5 pts\)\n$/);
    // Untrusted ids never carry a raw escape sequence to the terminal.
    expect(text).not.toContain('\u001b');
  });

  it('lists the first entries of a long list, then how many more', () => {
    const many = (run: string, pass: boolean) =>
      Array.from({ length: 60 }, (_, i) => record(run, `${run}${i}`, `T${i}`, pass));
    const text = formatComparison(
      compareRuns({ manifest: null, records: many('b', true) }, { manifest: null, records: many('c', false) }),
      { limit: 5 },
    );
    expect(text).toMatch(
      /regressions \(60\):\n( {2}T\d: base .*\n){5} {2}… and 55 more \(all of them are in --json \/ --out\)\nfixes \(0\):\n/,
    );
  });

  it('marks every figure when the rubrics differ', () => {
    const changed: RunRecords = {
      manifest: manifest('cand-run', { hash: HASH_B }),
      records: candidate.records.map((r) => ({
        ...r,
        rubric: { id: 'code-correctness', version: '1.0.0', hash: HASH_B },
      })),
    };
    const text = formatComparison(compareRuns(base, changed, { allowRubricChange: true }));
    expect(text).toContain('WARNING: the runs were graded on different rubrics');
    for (const prefix of [
      'base:',
      'candidate:',
      'paired difference:',
      'McNemar:',
      'minimum detectable effect',
      'decision:',
    ]) {
      expect(text).toContain(`[not like-for-like] ${prefix}`);
    }
  });
});
