import type { Sut } from '@gavel/core';

function normalise(family: string): string {
  return family.trim().toLowerCase();
}

/**
 * Why a judge of `judgeFamily` must not grade a sample written by `sut`, or `undefined` when it
 * may. A judge never grades its own model family (it favours its own outputs). Pure: the producer
 * calls it at enqueue and the judge stage again before grading; `role` `critic` words it for the
 * critic of a critique chain (GAVEL_CRITIC_FAMILY), held to the same rule.
 */
export function checkFamilyClash(
  judgeFamily: string | null | undefined,
  sut: Pick<Sut, 'family' | 'model'>,
  role: 'judge' | 'critic' = 'judge',
): string | undefined {
  if (!judgeFamily) return undefined;
  if (normalise(judgeFamily) !== normalise(sut.family)) return undefined;
  return `${role} family "${judgeFamily}" is the family of the system under test (${sut.model}, family "${sut.family}"); a ${role} never grades its own model family — choose a ${role} from another family (GAVEL_${role.toUpperCase()}_FAMILY)`;
}
