import type { Consistency, GraderAnswer } from '@gavel/core';

/**
 * Self-consistency of one sample's answers (the primary first): the majority verdict (ties go to
 * the primary), the share of answers that agree with it, and the mean and population variance of
 * the scores. Seeds and temperatures are recorded as sent.
 */
export function summariseConsistency(
  answers: readonly GraderAnswer[],
  seeds: readonly number[],
  temperatures: readonly number[],
): Consistency {
  const primary = answers[0];
  if (!primary) throw new Error('summariseConsistency: no answers');
  const passes = answers.filter((a) => a.pass).length;
  const fails = answers.length - passes;
  const majority = passes === fails ? primary.pass : passes > fails;
  const agreeing = majority ? passes : fails;
  const mean = answers.reduce((s, a) => s + a.score, 0) / answers.length;
  const variance = answers.reduce((s, a) => s + (a.score - mean) ** 2, 0) / answers.length;
  return {
    k: answers.length - 1,
    samples: answers.length,
    majority,
    agreement: agreeing / answers.length,
    score_mean: mean,
    score_variance: variance,
    seeds: [...seeds],
    temperatures: [...temperatures],
  };
}
