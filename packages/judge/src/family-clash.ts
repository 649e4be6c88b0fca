import type { Sut } from '@gavel/core';

function normalise(family: string): string {
  return family.trim().toLowerCase();
}

/**
 * Why a judge of `judgeFamily` must not grade a sample written by `sut`, or `undefined` when it
 * may. A judge never grades its own model family (it favours its own outputs). Pure: the producer
 * calls it at enqueue and the judge stage again before grading.
 */
export function checkFamilyClash(
  judgeFamily: string | null | undefined,
  sut: Pick<Sut, 'family' | 'model'>,
): string | undefined {
  if (!judgeFamily) return undefined;
  if (normalise(judgeFamily) !== normalise(sut.family)) return undefined;
  return `judge family "${judgeFamily}" is the family of the system under test (${sut.model}, family "${sut.family}"); a judge never grades its own model family — choose a judge from another family (GAVEL_JUDGE_FAMILY)`;
}
