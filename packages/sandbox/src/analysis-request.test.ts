import { describe, expect, it } from 'vitest';
import { planAnalysisRequest } from './analysis-request.ts';

const caps = { maxFileBytes: 10, maxRequestBytes: 16, maxRequestFiles: 3 };

describe('planAnalysisRequest', () => {
  it('sends files in order while each fits its own cap and the request cap, skipping the rest with why', () => {
    const plan = planAnalysisRequest(
      { 'a.py': 'x'.repeat(8), 'big.py': 'x'.repeat(11), 'b.py': 'x'.repeat(8), 'c.py': 'x'.repeat(9), 'd.py': '' },
      caps,
    );
    // a (8) fits; big (11 > 10) is over the file cap; b (8 + 8 = 16) fits exactly; c (16 + 9 > 16) does
    // not; d (0 bytes) fits the bytes but is the third file sent, which the cap of 3 allows.
    expect(Object.keys(plan.files)).toEqual(['a.py', 'b.py', 'd.py']);
    expect(plan.skipped).toEqual([
      { file: 'big.py', reason: 'over the 10-byte file limit' },
      { file: 'c.py', reason: "past the sample's 16-byte analysis limit" },
    ]);
  });

  it('counts bytes, not characters', () => {
    const plan = planAnalysisRequest({ 'u.py': 'é'.repeat(6) }, caps); // 12 bytes in UTF-8
    expect(plan.skipped).toEqual([{ file: 'u.py', reason: 'over the 10-byte file limit' }]);
  });

  it('stops at the file count', () => {
    const plan = planAnalysisRequest({ '1.py': '', '2.py': '', '3.py': '', '4.py': '' }, caps);
    expect(plan.skipped).toEqual([{ file: '4.py', reason: "past the sample's 3-file analysis limit" }]);
  });
});
